-- One row per dossier in its current state (latest published version). Incremental: a run merges the
-- latest version of each dossier among the loads not yet processed (int_dossier_versions_pending) and
-- keeps it only when it is later than the version held (macro dossier_version_order: the content first,
-- the load order last); a full build takes the latest of all published versions. The bookkeeping columns
-- recompute_from_month / recompute_to_month tell int_portal_months_to_recompute which months the change
-- of the dossier affects (see _core__models.yml). dossier_key is kept unique by a unique index rather
-- than a contract key: built after the rows it takes 10 s at 10M dossiers, where a key filled row by row
-- adds 22 s to the insert. Not in the BI contract (meta bi_contract: false; docs/marts.md): the BI role
-- loses select on it in the transaction that builds it.
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='dossier_key',
        on_schema_change='fail',
        pre_hook="{{ disable_jit() }}",
        post_hook="{{ revoke_bi_access(this) }}",
        indexes=[
            {'columns': ['dossier_key'], 'unique': True},
            {'columns': ['load_id']},
            {'columns': ['province_code', 'counted_to_month']},
        ],
    )
}}
-- depends_on: {{ ref('int_dossier_versions_pending') }}
{%- set versions_model = 'int_dossier_versions_deduplicated' %}
{%- if is_incremental() %}{% set versions_model = 'int_dossier_versions_pending' %}{% endif %}

with

dossier_versions as (

    -- Incremental: the latest pending version of each dossier; full build: its latest published version.
    select * from {{ ref(versions_model) }}

),

pending_loads as (

    select distinct load_id from {{ ref('int_portal_loads_pending') }}

),

as_of as (

    select * from {{ ref('int_portal_as_of') }}

),

shaped as (

    select
        province_code || '-' || dossier_code as dossier_key,
        province_code,
        dossier_code,
        procedure_code,
        procedure_name,
        online_service_level,
        unit_code,
        unit_name,
        admin_level_code,
        channel,
        is_online,
        received_at,
        due_at,
        finished_at,
        dossier_status,
        is_finished,
        is_withdrawn,
        supplement_count,
        supplement_days,
        fee_vnd,
        is_fee_bearing,
        online_payment,
        is_paid_online,
        is_components_digitized,
        has_electronic_result,
        has_paper_result,
        rating,
        has_complaint,
        updated_at,
        load_id,
        source_row,
        date_trunc('month', received_at)::date as counted_from_month,
        case
            when is_withdrawn then date_trunc('month', received_at)::date
            when is_finished
                then
                    greatest(
                        date_trunc('month', received_at),
                        date_trunc('month', coalesce(finished_at, updated_at))
                    )::date
        end as counted_to_month
    from dossier_versions

),

held as (

    -- The versions this table holds for the incoming dossiers (none on a full build).
    {% if is_incremental() -%}
        select
            dossier_key,
            load_id,
            source_row,
            updated_at,
            dossier_status,
            supplement_count,
            finished_at,
            counted_from_month,
            counted_to_month,
            recompute_from_month,
            recompute_to_month
        from {{ this }}
        where dossier_key in (select shaped.dossier_key from shaped)
    {%- else -%}
        select
            null::text as dossier_key,
            null::bigint as load_id,
            null::integer as source_row,
            null::timestamp as updated_at,
            null::text as dossier_status,
            null::integer as supplement_count,
            null::timestamp as finished_at,
            null::date as counted_from_month,
            null::date as counted_to_month,
            null::date as recompute_from_month,
            null::date as recompute_to_month
        where false
    {%- endif %}

),

changed as (

    -- Only versions later than the one held; an older version delivered late changes nothing.
    select
        shaped.*,
        as_of.as_of_month,
        -- The months the held state counted in; while the held version's own change is still pending
        -- (a run that failed after this model), its recompute range is carried over instead.
        case
            when held.load_id in (select pending_loads.load_id from pending_loads)
                then held.recompute_from_month
            else held.counted_from_month
        end as held_from_month,
        case
            when held.dossier_key is null then null
            when held.load_id in (select pending_loads.load_id from pending_loads)
                then held.recompute_to_month
            else coalesce(held.counted_to_month, as_of.as_of_month)
        end as held_to_month
    from shaped
    left join held
        on shaped.dossier_key = held.dossier_key
    left join as_of
        on shaped.province_code = as_of.province_code
    where
        held.dossier_key is null
        or {{ dossier_version_sort_key('shaped') }} > {{ dossier_version_sort_key('held') }}

),

final as (

    select
        dossier_key,
        province_code,
        dossier_code,
        procedure_code,
        procedure_name,
        online_service_level,
        unit_code,
        unit_name,
        admin_level_code,
        channel,
        is_online,
        received_at,
        due_at,
        finished_at,
        dossier_status,
        is_finished,
        is_withdrawn,
        supplement_count,
        supplement_days,
        fee_vnd,
        is_fee_bearing,
        online_payment,
        is_paid_online,
        is_components_digitized,
        has_electronic_result,
        has_paper_result,
        rating,
        has_complaint,
        updated_at,
        load_id,
        source_row,
        counted_from_month,
        counted_to_month,
        -- least/greatest ignore nulls: a new dossier's range is its own months.
        least(counted_from_month, held_from_month) as recompute_from_month,
        greatest(coalesce(counted_to_month, as_of_month), held_to_month) as recompute_to_month
    from changed

)

select * from final
