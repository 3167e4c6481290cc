-- Published portal loads not yet processed by the incremental portal models: the watermark of a run.
-- A snapshot (table) taken at the start of the run, so a batch published while dbt runs waits for the
-- next run instead of being recorded as processed without having been read. On --full-refresh, on the
-- first run, or when int_portal_loads_processed is missing, every published load is pending.
{{ config(materialized='table') }}

{%- set processed = processed_portal_loads_relation() %}
{%- set published_not_processed -%}
    select load_id from {{ source('portal', 'load_audit') }} where status = 'published'
    {%- if processed is not none %} and load_id not in (select load_id from {{ processed }}){% endif %}
{%- endset %}
-- The pending loads, read when the model runs, as a literal (macro load_ids_array).
{%- set pending = load_ids_array(published_not_processed) %}

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
