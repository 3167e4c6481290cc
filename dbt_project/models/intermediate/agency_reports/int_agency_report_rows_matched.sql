-- Every report row of a published batch, its indicator matched to the catalog, placed in the facts'
-- grain (unit_code, admin_level), and the reason it cannot become a fact yet (null when it can).
-- Placement: an agency with scope 'province' (Sở KH&CN, Sở TT&TT) reports for the whole province, so
-- unit_code is '*' and the level is the row's Cấp ('all' when blank); any other agency reports on
-- itself: unit_code is its code and the level its own (a different Cấp waits for review).

with

reports as (

    select * from {{ ref('stg_agency_reports__reports') }}

),

report_rows as (

    select * from {{ ref('stg_agency_reports__rows') }}

),

text_keys as (

    select * from {{ ref('int_agency_report_indicator_keys') }}

),

lookup as (

    select * from {{ ref('int_agency_report_indicator_lookup') }}

),

catalog as (

    select * from {{ ref('indicators') }}

),

agencies as (

    select * from {{ ref('agencies') }}

),

joined as (

    select
        report_rows.load_id,
        report_rows.sheet_index,
        report_rows.source_row,
        reports.sheet_name,
        reports.source_file,
        reports.loaded_at,
        reports.agency_code,
        reports.agency_text,
        agencies.agency_name,
        agencies.scope as agency_scope,
        agencies.admin_level as agency_admin_level,
        reports.province_code,
        reports.period_type,
        reports.period_start,
        reports.period_end,
        reports.period_text,
        reports.version_date,
        reports.submitted_at,
        reports.workbook_saved_at,
        report_rows.stt,
        report_rows.indicator_text,
        text_keys.match_key,
        lookup.indicator_code,
        lookup.candidate_count,
        lookup.candidate_codes,
        lookup.matched_by,
        report_rows.unit_text,
        report_rows.unit_kind,
        catalog.unit as catalog_unit,
        report_rows.level_text,
        report_rows.level_reported,
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
    left join text_keys
        on report_rows.indicator_text = text_keys.text_value
    left join lookup
        on text_keys.match_key = lookup.match_key
    left join catalog
        on lookup.indicator_code = catalog.indicator_code
    left join agencies
        on reports.agency_code = agencies.agency_code

),

placed as (

    select
        *,
        case when agency_scope = 'province' then '*' else agency_code end as unit_code,
        case
            when agency_scope = 'province'
                then coalesce(level_reported, case when level_text is null then 'all' end)
            when level_text is null or level_reported = agency_admin_level then agency_admin_level
        end as admin_level,
        lower(catalog_unit) like '%percent%' or catalog_unit = '%' as catalog_is_percent
    from joined

),

final as (

    select
        *,
        coalesce(catalog_unit, unit_text) as unit,
        case
            when agency_scope is null then 'agency_not_in_seed'
            when candidate_count > 1 then 'indicator_ambiguous'
            when indicator_code is null then 'indicator_not_in_catalog'
            when admin_level is null and level_text is not null and level_reported is null
                then 'admin_level_unknown'
            when admin_level is null then 'admin_level_not_the_agencys'
            when
                unit_kind is not null and catalog_unit is not null
                and (unit_kind = 'percent') != catalog_is_percent
                then 'unit_differs_from_catalog'
        end as review_reason
    from placed

)

select * from final
