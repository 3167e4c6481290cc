-- Current state of each dossier: its latest published version, by the content first and the load order
-- last (macro dossier_version_order: the day updated, the life cycle, then the time, then the load), so
-- an older export loaded after a newer one rolls nothing back.

with

dossier_versions as (

    select * from {{ ref('stg_portal__dossiers') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by province_code, dossier_code
            order by {{ dossier_version_order_desc() }}
        ) as version_rank
    from dossier_versions

),

latest as (

    select * from ranked
    where version_rank = 1

)

select * from latest
