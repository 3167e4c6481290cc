-- One row per report row with a value, from published batches. The indicator is still free text here;
-- the texts that reach the marts (agency_report_rows_awaiting_review) are made safe for BI (bi_safe_text).

with

reports as (

    select
        load_id,
        sheet_index
    from {{ ref('stg_agency_reports__reports') }}

),

report_rows as (

    select * from {{ source('raw', 'agency_report_row') }}

),

final as (

    select
        report_rows.load_id,
        report_rows.sheet_index,
        report_rows.source_row,
        report_rows.stt,
        {{ bi_safe_text('report_rows.indicator_text', 1000) }} as indicator_text,
        {{ bi_safe_text('report_rows.unit_text', 1000) }} as unit_text,
        report_rows.unit_kind,
        {{ bi_safe_text('report_rows.level_text', 1000) }} as level_text,
        report_rows.admin_level as level_reported,
        report_rows.plan_value,
        report_rows.actual_value,
        report_rows.numerator,
        report_rows.denominator,
        {{ bi_safe_text('report_rows.actual_text', 1000) }} as actual_text,
        report_rows.value_derived,
        report_rows.note
    from report_rows
    inner join reports
        on
            report_rows.load_id = reports.load_id
            and report_rows.sheet_index = reports.sheet_index

)

select * from final
