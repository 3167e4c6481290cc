-- Published portal loads not yet processed by the incremental portal models: the watermark of a run.
-- A snapshot (table) taken at the start of the run, so a batch published while dbt runs waits for the
-- next run instead of being recorded as processed without having been read. On --full-refresh, on the
-- first run, or when int_portal_loads_processed is missing, every published load is pending.
{{ config(materialized='table') }}

{%- set processed = processed_portal_loads_relation() %}

with

published_loads as (

    select load_id
    from {{ source('portal', 'load_audit') }}
    where status = 'published'

),

pending_loads as (

    select load_id
    from published_loads
    {%- if processed is not none %}
        where load_id not in (select processed.load_id from {{ processed }} as processed)
    {%- endif %}

),

pending_versions as (

    select
        load_id,
        province_code,
        max(updated_at) as max_updated_at,
        count(*) as dossier_versions
    from {{ ref('stg_portal__dossiers') }}
    -- One parameter (see int_dossier_versions_pending): the filter reaches the raw table's load_id index.
    where load_id = any(array(select pending_loads.load_id from pending_loads))
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
