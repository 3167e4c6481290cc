-- The province × months an incremental run of int_dossiers_aggregated_to_unit_month recomputes:
--   * for every dossier whose current version came in a pending load, the months of its recompute range
--     in fct_dossier (the months its previous state counted in and the months its new state counts in);
--   * for every province, the months from the previous as-of month to the new one, since open dossiers
--     count up to the as-of month and are judged at the as-of time in it.
-- On a full build the aggregation ignores this model and computes every month.
{{ config(materialized='table', pre_hook="{{ disable_jit() }}") }}

with

as_of as (

    select * from {{ ref('int_portal_as_of') }}

),

changed_dossiers as (

    select
        province_code,
        recompute_from_month,
        recompute_to_month
    from {{ ref('fct_dossier') }}
    -- the pending loads as a literal (macro load_ids_array): read through fct_dossier's load_id index
    where load_id = any({{ load_ids_array('select load_id from ' ~ ref('int_portal_loads_pending')) }})

),

dossier_months as (

    select
        changed_dossiers.province_code,
        months.period_start::date as period_start
    from changed_dossiers
    cross join lateral generate_series(
        changed_dossiers.recompute_from_month,
        changed_dossiers.recompute_to_month,
        interval '1 month'
    ) as months (period_start)

),

as_of_months as (

    select
        as_of.province_code,
        months.period_start::date as period_start
    from as_of
    cross join
        lateral generate_series(
            coalesce(as_of.previous_as_of_month, as_of.as_of_month),
            as_of.as_of_month,
            interval '1 month'
        ) as months (period_start)
    where as_of.as_of is distinct from as_of.previous_as_of

),

final as (

    select
        province_code,
        period_start
    from dossier_months
    union
    select
        province_code,
        period_start
    from as_of_months

)

select * from final
