-- Every version of every reported value that can be a fact, ranked newest first per agency x indicator
-- x unit x level x period. Newest: the later version_date (the report's own date, else the day the
-- workbook was saved, else the day it was loaded), then the later time in the title block, then the
-- later saved time, then the later load. Loading an older report after a newer one changes nothing.

with

matched as (

    select * from {{ ref('int_agency_report_rows_matched') }}
    where review_reason is null and actual_value is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by agency_code, indicator_code, unit_code, admin_level, period_type, period_start
            order by
                version_date desc,
                submitted_at desc nulls last,
                workbook_saved_at desc nulls last,
                load_id desc,
                sheet_index asc,
                source_row asc
        ) as version_rank
    from matched

),

final as (

    select
        concat_ws(
            '|', load_id, agency_code, indicator_code, unit_code, admin_level, period_type,
            to_char(period_start, 'YYYY-MM-DD')
        ) as version_key,
        load_id,
        source_file,
        sheet_name,
        source_row,
        agency_code,
        province_code,
        indicator_code,
        indicator_text,
        matched_by,
        unit_code,
        admin_level,
        period_type,
        period_start,
        period_end,
        numerator,
        denominator,
        actual_value as value,
        plan_value,
        unit,
        value_derived,
        version_date,
        submitted_at,
        workbook_saved_at,
        loaded_at,
        version_rank,
        version_rank = 1 as is_current
    from ranked

)

select * from final
