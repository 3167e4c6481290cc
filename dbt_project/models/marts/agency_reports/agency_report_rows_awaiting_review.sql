-- Report rows with a value that cannot become a fact yet, for a person to resolve: most often an
-- indicator name the catalog and the aliases do not know (add it to seeds/indicator_aliases.csv and
-- re-run dbt; the file is not loaded again). A text repeated in later versions of the same report
-- appears once, from its newest version. A marts table (read by BI and the DAG).

with

matched as (

    select * from {{ ref('int_agency_report_rows_matched') }}
    where review_reason is not null and actual_value is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by agency_code, period_type, period_start, match_key, coalesce(level_text, '')
            order by
                version_date desc,
                submitted_at desc nulls last,
                workbook_saved_at desc nulls last,
                load_id desc,
                sheet_index asc,
                source_row asc
        ) as occurrence_rank
    from matched

),

final as (

    select
        concat_ws('|', load_id, sheet_index, source_row) as review_row_key,
        review_reason,
        agency_code,
        agency_name,
        agency_text,
        province_code,
        period_type,
        period_start,
        period_end,
        period_text,
        indicator_text,
        match_key,
        candidate_codes,
        unit_text,
        level_text,
        actual_value as value,
        actual_text,
        load_id,
        source_file,
        sheet_name,
        source_row,
        loaded_at
    from ranked
    where occurrence_rank = 1

)

select * from final
