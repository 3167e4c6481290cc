-- One row per batch (one load of one file or one API pull) of every source, with the quality gate's
-- verdict: the one place the staging models learn which batches are published. Only published batches
-- reach the models (each staging model joins this on load_id, `where is_published`).

with

load_audit as (

    select * from {{ source('raw', 'load_audit') }}

),

final as (

    select
        load_id,
        source,
        -- the file name reaches the marts (source_file): made safe for BI (macro bi_safe_text)
        {{ bi_safe_text('file_name', 1000) }} as source_file,
        started_at as loaded_at,
        finished_at,
        status,
        status = 'published' as is_published
    from load_audit

)

select * from final
