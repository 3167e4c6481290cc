-- One row per agency report (a sheet of a workbook) from published batches, with its version date:
-- the report's own date if the title block gives one, else the day the workbook was last saved,
-- else the day it was loaded (see docs/sources/agency_reports.md, "Resubmissions"). Its texts that reach
-- the marts are made safe for BI (macro bi_safe_text).

with

published_loads as (

    select
        load_id,
        source_file,
        loaded_at
    from {{ ref('stg_raw__load_audit') }}
    where source = 'agency_reports' and is_published

),

reports as (

    select * from {{ source('raw', 'agency_report') }}

),

final as (

    select
        reports.load_id,
        reports.sheet_index,
        {{ bi_safe_text('reports.sheet_name', 1000) }} as sheet_name,
        published_loads.source_file,
        published_loads.loaded_at,
        reports.agency_code,
        {{ bi_safe_text('reports.agency_text', 1000) }} as agency_text,
        reports.province_code,
        {{ bi_safe_text('reports.period_text', 1000) }} as period_text,
        reports.period_type,
        reports.period_start,
        reports.period_end,
        reports.submitted_on,
        reports.submitted_at,
        reports.workbook_saved_at,
        coalesce(
            reports.submitted_on,
            (reports.workbook_saved_at at time zone 'Asia/Ho_Chi_Minh')::date,
            (published_loads.loaded_at at time zone 'Asia/Ho_Chi_Minh')::date
        ) as version_date
    from reports
    inner join published_loads
        on reports.load_id = published_loads.load_id

)

select * from final
