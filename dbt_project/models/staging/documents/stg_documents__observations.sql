-- Actual values stated in the seed documents, shaped as rows of the long indicator fact:
-- province-wide (unit_code '*'), no numerator or denominator, method 'stated', source_kind 'document'.
-- The column 'source' keeps the long fact's name although it is a keyword (noqa below).

with

observations as (

    select * from {{ ref('document_observations') }}

),

final as (

    select
        concat_ws(
            '|', 'document', 'document_observations.csv', indicator_code, 'stated', province_code, '*',
            admin_level, period_type, to_char(period_start, 'YYYY-MM-DD')
        ) as observation_key,
        indicator_code,
        province_code,
        '*'::text as unit_code,
        admin_level,
        period_type,
        period_start::date as period_start,
        period_end::date as period_end,
        null::numeric as numerator,
        null::numeric as denominator,
        value::numeric as value,
        unit,
        'document'::text as source_kind,
        'document_observations.csv'::text as source,  -- noqa: RF04
        'stated'::text as method,
        null::bigint as load_id,
        source_file::text as source_file
    from observations

)

select * from final
