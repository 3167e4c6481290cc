-- Dossier versions of batches that did not pass the quality gate must not reach the models.

with

dossier_versions as (

    select * from {{ ref('stg_portal__dossiers') }}

),

load_audit as (

    select * from {{ source('raw', 'load_audit') }}

),

unpublished as (

    select
        dossier_versions.load_id,
        dossier_versions.source_row,
        load_audit.status
    from dossier_versions
    inner join load_audit
        on dossier_versions.load_id = load_audit.load_id
    where load_audit.status != 'published'

)

select * from unpublished
