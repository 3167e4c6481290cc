-- The latest version of each dossier among the versions of the pending loads (int_portal_loads_pending):
-- what an incremental run of fct_dossier merges. Whether it replaces the version fct_dossier holds is
-- decided there, by the same order of versions (macro dossier_version_order).

with

dossier_versions as (

    select * from {{ ref('stg_portal__dossiers') }}
    -- the pending loads as a literal (macro load_ids_array): read through the raw table's load_id index
    where load_id = any({{ load_ids_array('select load_id from ' ~ ref('int_portal_loads_pending')) }})

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
