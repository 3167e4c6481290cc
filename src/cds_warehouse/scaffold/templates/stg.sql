-- One row per data row of the published batches of the source $name,
-- typed as its contract says: src/cds_warehouse/sources/$name.yml.
-- Written by `cds add-source`: rename, recode and make free text safe for BI here (macro bi_safe_text,
-- docs/marts.md) once the source's meaning is decided.

with

published_loads as (

    select
        load_id,
        source_file
    from {{ ref('stg_raw__load_audit') }}
    where
        source = '$name'
        and is_published

),

source_rows as (

    select * from {{ source('raw', '$name') }}

),

final as (

    select
        source_rows.load_id,
        source_rows.source_row,
        published_loads.source_file,
$stg_columns
    from source_rows
    inner join published_loads
        on source_rows.load_id = published_loads.load_id

)

select * from final
