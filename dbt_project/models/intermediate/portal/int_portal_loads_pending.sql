-- Published portal loads not yet processed by the incremental portal models: the watermark of a run.
-- A snapshot (table) taken at the start of the run, so a batch published while dbt runs waits for the
-- next run instead of being recorded as processed without having been read. On --full-refresh, on the
-- first run, or when int_portal_loads_processed is missing, every published load is pending.
{{ config(materialized='table') }}

-- depends_on: {{ source('raw', 'load_audit') }}
-- The pending loads (macro portal_loads_of_this_run), read when the model runs, as a literal.
{%- set pending = load_ids_array(portal_loads_of_this_run()) %}

with

pending_loads as (

    select unnest({{ pending }}) as load_id

),

pending_versions as (

    select
        load_id,
        province_code,
        max(updated_at) as max_updated_at,
        count(*) as dossier_versions
    from {{ ref('stg_portal__dossiers') }}
    where load_id = any({{ pending }})
    group by load_id, province_code

),

final as (

    -- One row per pending load and province; a load without rows keeps one row with a null province.
    select
        pending_loads.load_id,
        pending_versions.province_code,
        pending_versions.max_updated_at,
        coalesce(pending_versions.dossier_versions, 0) as dossier_versions
    from pending_loads
    left join pending_versions
        on pending_loads.load_id = pending_versions.load_id

)

select * from final
