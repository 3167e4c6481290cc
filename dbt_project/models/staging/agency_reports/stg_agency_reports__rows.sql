-- One row per report row with a value, from published batches. The indicator is still free text here.

with

reports as (

    select
        load_id,
        sheet_index
    from {{ ref('stg_agency_reports__reports') }}

),

report_rows as (

    select * from {{ source('agency_reports', 'agency_report_row') }}

),

final as (

    select
        report_rows.load_id,
        report_rows.sheet_index,
        report_rows.source_row,
        report_rows.stt,
        report_rows.indicator_text,
        report_rows.unit_text,
        report_rows.unit_kind,
        report_rows.level_text,
        report_rows.admin_level as level_reported,
        report_rows.plan_value,
        report_rows.actual_value,
        report_rows.numerator,
        report_rows.denominator,
        report_rows.actual_text,
        report_rows.value_derived,
        report_rows.note
    from report_rows
    inner join reports
        on
            report_rows.load_id = reports.load_id
            and report_rows.sheet_index = reports.sheet_index

)

select * from final
