-- Portal loads whose dossier versions are in fct_dossier and int_dossiers_aggregated_to_unit_month:
-- the pending loads of this run, recorded at the end of the chain (after the aggregation and its tests).
-- The next run's int_portal_loads_pending leaves them out. Incremental: appends this run's loads.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='load_id',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_dossiers_aggregated_to_unit_month') }}

with

pending_loads as (

    select * from {{ ref('int_portal_loads_pending') }}

),

final as (

    select
        load_id,
        province_code,
        max_updated_at,
        dossier_versions,
        now() as processed_at,
        '{{ invocation_id }}' as dbt_invocation_id
    from pending_loads

)

select * from final
