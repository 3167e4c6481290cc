-- Dossier counts per province × handling unit × admin level × month: every numerator and denominator of
-- the computed dossier indicators (rules in _int_portal__models.yml), from each dossier's current state.
-- Incremental: a run recomputes only the province-months listed in int_portal_months_to_recompute. The
-- pre-hook empties those months first (so a month that lost all its dossiers is emptied too), then
-- delete+insert on (province_code, period_start) writes them again. Other months are not touched.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['province_code', 'period_start'],
        on_schema_change='fail',
        indexes=[{'columns': ['province_code', 'period_start']}],
        pre_hook=[
            "{{ disable_jit() }}",
            "{% if is_incremental() %}delete from {{ this }} where (province_code, period_start) in
            (select province_code, period_start from {{ ref('int_portal_months_to_recompute') }}){% endif %}",
        ],
    )
}}
-- depends_on: {{ ref('int_portal_months_to_recompute') }}
{%- set months_to_recompute = ref('int_portal_months_to_recompute') %}

with

as_of as (

    select * from {{ ref('int_portal_as_of') }}

),

dossiers as (

    select * from {{ ref('fct_dossier') }}
    {%- if is_incremental() %}
        -- Only dossiers that can count in a month to recompute: of those provinces, still open or ended
        -- since the earliest such month (uses the index on province_code, counted_to_month).
        where
            province_code in (select recompute.province_code from {{ months_to_recompute }} as recompute)
            and (
                counted_to_month is null
                or counted_to_month >= (
                    select min(recompute.period_start) from {{ months_to_recompute }} as recompute
                )
            )
    {%- endif %}

),

dossier_months as (

    -- One row per dossier and month it counts in: from the month received to the month finished
    -- (withdrawn: the month received only; open: up to the province's as-of month).
    select
        dossiers.*,
        months.period_start::date as period_start,
        as_of.as_of
    from dossiers
    inner join as_of
        on dossiers.province_code = as_of.province_code
    cross join lateral generate_series(
        dossiers.counted_from_month,
        coalesce(dossiers.counted_to_month, as_of.as_of_month),
        interval '1 month'
    ) as months (period_start)

),

recomputed_months as (

    select dossier_months.*
    from dossier_months
    {%- if is_incremental() %}
        inner join {{ months_to_recompute }} as recompute
            on
                dossier_months.province_code = recompute.province_code
                and dossier_months.period_start = recompute.period_start
    {%- endif %}

),

flagged as (

    select
        province_code,
        unit_code,
        admin_level_code as admin_level,
        period_start,
        is_online,
        has_paper_result,
        has_electronic_result,
        is_fee_bearing,
        is_paid_online,
        is_components_digitized,
        period_start = counted_from_month as is_received_in_month,
        not is_withdrawn as is_handled_in_month,
        is_finished and period_start = counted_to_month as is_finished_in_month,
        has_complaint or coalesce(rating = 'dissatisfied', false) as has_complaint_or_dislike,
        -- On time: never asked for supplements more than once, and not past the due time extended by
        -- the days waiting for supplements, judged when it finished (in the month it finished) or at the
        -- end of the month (at the as-of time in the as-of month) while open. No due time: not overdue.
        supplement_count <= 1
        and coalesce(
            case
                when is_finished and period_start = counted_to_month
                    then coalesce(finished_at, updated_at)
                else least(period_start + interval '1 month', as_of)
            end
            <= due_at + supplement_days * interval '1 day',
            true
        ) as is_on_time
    from recomputed_months

),

aggregated as (

    select
        province_code,
        unit_code,
        admin_level,
        period_start,
        count(*) filter (where is_received_in_month) as dossiers_received,
        count(*) filter (where is_received_in_month and is_online) as online_dossiers,
        count(*) filter (
            where is_received_in_month and is_online and (not has_paper_result or has_electronic_result)
        ) as online_dossiers_766_strict,
        count(*) filter (where is_received_in_month and is_fee_bearing) as fee_bearing_dossiers,
        count(*) filter (
            where is_received_in_month and is_fee_bearing and is_paid_online
        ) as fee_bearing_dossiers_paid_online,
        count(*) filter (where is_received_in_month and is_components_digitized) as digitized_dossiers,
        count(*) filter (where is_handled_in_month) as handled_dossiers,
        count(*) filter (where is_handled_in_month and is_on_time) as handled_dossiers_on_time,
        count(*) filter (where is_finished_in_month) as finished_dossiers,
        count(*) filter (where is_finished_in_month and not is_on_time) as finished_dossiers_late,
        count(*) filter (
            where is_finished_in_month and has_electronic_result
        ) as finished_dossiers_with_electronic_result,
        count(*) filter (
            where is_finished_in_month and has_complaint_or_dislike
        ) as finished_dossiers_with_complaint_or_dislike
    from flagged
    group by province_code, unit_code, admin_level, period_start

)

select * from aggregated
