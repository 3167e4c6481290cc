-- Current state of each dossier: its latest published version. A later update of a dossier
-- arrives in a later batch; ties on updated_at go to the later batch, then the later file row.

with

dossier_versions as (

    select * from {{ ref('stg_portal__dossiers') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by province_code, dossier_code
            order by updated_at desc, load_id desc, source_row desc
        ) as version_rank
    from dossier_versions

),

latest as (

    select * from ranked
    where version_rank = 1

)

select * from latest
