-- Per province, the time the portal data is complete up to ("as of"): the latest updated_at of any
-- published version. Open dossiers count in every month from receipt to the as-of month; in the as-of
-- month they are judged at the as-of time. previous_as_of is the same figure over the loads processed
-- by earlier runs (null on a full refresh and for a new province): the months from previous_as_of to
-- as_of are recomputed even when no dossier of theirs changed, because open dossiers move with as_of.
{{ config(materialized='table') }}

{%- set processed = processed_portal_loads_relation() %}

with

pending as (

    select
        province_code,
        max(max_updated_at) as pending_as_of
    from {{ ref('int_portal_loads_pending') }}
    where province_code is not null
    group by province_code

),

processed as (

    {% if processed is not none -%}
        select
            province_code,
            max(max_updated_at) as previous_as_of
        from {{ processed }}
        where province_code is not null
        group by province_code
    {%- else -%}
        select
            null::text as province_code,
            null::timestamp as previous_as_of
        where false
    {%- endif %}

),

combined as (

    select
        coalesce(pending.province_code, processed.province_code) as province_code,
        processed.previous_as_of,
        greatest(processed.previous_as_of, pending.pending_as_of) as as_of
    from pending
    full outer join processed
        on pending.province_code = processed.province_code

),

final as (

    select
        province_code,
        previous_as_of,
        date_trunc('month', previous_as_of)::date as previous_as_of_month,
        as_of,
        date_trunc('month', as_of)::date as as_of_month
    from combined

)

select * from final
