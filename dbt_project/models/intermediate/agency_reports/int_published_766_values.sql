-- Portal-published 766 figures in the column shape of marts.fct_indicator_observation (source_kind
-- 'published'): beside the warehouse's own recomputation for the same unit and period, never replacing
-- it. A figure published again (a later file) replaces the earlier one: the later retrieved_at, then the
-- later load. Indicator codes that are not in the catalog are left out (a test on staging flags them).
-- The column "source" keeps the fact table's name although it is a keyword (noqa below).

with

published_values as (

    select * from {{ ref('stg_published_766__values') }}

),

catalog as (

    select * from {{ ref('indicators') }}

),

ranked as (

    select
        published_values.*,
        catalog.unit,
        row_number() over (
            partition by
                published_values.province_code,
                published_values.indicator_code,
                published_values.admin_level,
                published_values.period_type,
                published_values.period_start
            order by
                published_values.retrieved_at desc nulls last,
                published_values.load_id desc,
                published_values.source_row desc
        ) as version_rank
    from published_values
    inner join catalog
        on published_values.indicator_code = catalog.indicator_code

),

final as (

    select
        concat_ws(
            '|', 'published', 'portal_published', indicator_code, 'published', province_code, '*',
            admin_level, period_type, to_char(period_start, 'YYYY-MM-DD')
        )::text as observation_key,
        indicator_code::text as indicator_code,
        province_code::text as province_code,
        '*'::text as unit_code,
        admin_level::text as admin_level,
        period_type::text as period_type,
        period_start::date as period_start,
        period_end::date as period_end,
        numerator::numeric as numerator,
        denominator::numeric as denominator,
        value::numeric as value,
        unit::text as unit,
        'published'::text as source_kind,
        'portal_published'::text as source,  -- noqa: RF04
        'published'::text as method,
        load_id::bigint as load_id,
        source_file::text as source_file
    from ranked
    where version_rank = 1

)

select * from final
