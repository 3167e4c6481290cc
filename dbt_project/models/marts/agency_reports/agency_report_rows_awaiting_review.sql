-- Report rows with a value that cannot become a fact yet, for a person to resolve: most often an
-- indicator name the catalog and the aliases do not know (add it to seeds/indicator_aliases.csv and
-- re-run dbt; the file is not loaded again). A text repeated in later versions of the same report
-- appears once, from its newest version. A text the catalog does not know carries up to three ranked
-- candidate indicators (raw.agency_report_indicator_candidate, written by the agency_reports.candidates
-- step before the build); `cds agency-reports accept` turns one into an alias. A marts table (read by BI
-- and the DAG).

with

matched as (

    select * from {{ ref('int_agency_report_rows_matched') }}
    where review_reason is not null and actual_value is not null

),

candidates as (

    select
        match_key,
        unit_kind,
        string_agg(indicator_code, ', ' order by candidate_rank) as candidate_codes,
        string_agg(score::text, ', ' order by candidate_rank) as candidate_scores
    from {{ source('raw', 'agency_report_indicator_candidate') }}
    group by match_key, unit_kind

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
        concat_ws('|', ranked.load_id, ranked.sheet_index, ranked.source_row) as review_row_key,
        ranked.review_reason,
        ranked.agency_code,
        ranked.agency_name,
        ranked.agency_text,
        ranked.province_code,
        ranked.period_type,
        ranked.period_start,
        ranked.period_end,
        ranked.period_text,
        ranked.indicator_text,
        ranked.match_key,
        -- ambiguous: the codes the text leads to; not in the catalog: the most similar indicators, best first
        case
            when ranked.review_reason = 'indicator_not_in_catalog' then candidates.candidate_codes
            else ranked.candidate_codes
        end as candidate_codes,
        case when ranked.review_reason = 'indicator_not_in_catalog' then candidates.candidate_scores end
            as candidate_scores,
        ranked.unit_text,
        ranked.level_text,
        ranked.actual_value as value,
        ranked.actual_text,
        ranked.load_id,
        ranked.source_file,
        ranked.sheet_name,
        ranked.source_row,
        ranked.loaded_at
    from ranked
    left join candidates
        on
            ranked.match_key = candidates.match_key
            and ranked.unit_kind is not distinct from candidates.unit_kind
    where ranked.occurrence_rank = 1

)

select * from final
