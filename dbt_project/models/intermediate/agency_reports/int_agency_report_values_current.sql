-- The current reported value per agency x indicator x unit x level x period (the newest version), in
-- the column shape of marts.fct_indicator_observation, ready to be unioned into it.
-- The column "source" keeps the fact table's name although it is a keyword (noqa below).

with

versions as (

    select * from {{ ref('int_agency_report_values_versions') }}
    where is_current

),

final as (

    select
        concat_ws(
            '|', 'reported', agency_code, indicator_code, 'reported', province_code, unit_code, admin_level,
            period_type, to_char(period_start, 'YYYY-MM-DD')
        )::text as observation_key,
        indicator_code::text as indicator_code,
        province_code::text as province_code,
        unit_code::text as unit_code,
        admin_level::text as admin_level,
        period_type::text as period_type,
        period_start::date as period_start,
        period_end::date as period_end,
        numerator::numeric as numerator,
        denominator::numeric as denominator,
        value::numeric as value,
        unit::text as unit,
        'reported'::text as source_kind,
        agency_code::text as source,  -- noqa: RF04
        'reported'::text as method,
        load_id::bigint as load_id,
        source_file::text as source_file
    from versions

)

select * from final
