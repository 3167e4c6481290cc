-- Portal-published 766 figures from published batches, with the period text turned into a period.

with

published_loads as (

    select
        load_id,
        source_file
    from {{ ref('stg_raw__load_audit') }}
    where source = 'published_766' and is_published

),

published_values as (

    select * from {{ source('raw', 'published_766') }}

),

typed as (

    select
        published_values.load_id,
        published_values.source_row,
        published_loads.source_file,
        published_values.province_code,
        published_values.indicator_code,
        published_values.period as period_text,
        coalesce(nullif(published_values.admin_level, ''), 'all') as admin_level,
        published_values.value,
        published_values.numerator,
        published_values.denominator,
        published_values.retrieved_at,
        published_values.source_url,
        left(published_values.period, 4)::integer as period_year,
        case
            when published_values.period ~ '^[0-9]{4}-[0-9]{2}$' then 'month'
            when published_values.period ~ '^[0-9]{4}-Q[1-4]$' then 'quarter'
            when published_values.period ~ '^[0-9]{4}-H[12]$' then 'half_year'
            when published_values.period ~ '^[0-9]{4}$' then 'year'
        end as period_type,
        case
            when published_values.period ~ '^[0-9]{4}-[0-9]{2}$'
                then right(published_values.period, 2)::integer
            when published_values.period ~ '^[0-9]{4}-Q[1-4]$'
                then 3 * right(published_values.period, 1)::integer - 2
            when published_values.period ~ '^[0-9]{4}-H[12]$'
                then 6 * right(published_values.period, 1)::integer - 5
            else 1
        end as first_month
    from published_values
    inner join published_loads
        on published_values.load_id = published_loads.load_id

),

final as (

    select
        load_id,
        source_row,
        source_file,
        province_code,
        indicator_code,
        admin_level,
        period_text,
        period_type,
        make_date(period_year, first_month, 1) as period_start,
        (
            make_date(period_year, first_month, 1)
            + case period_type
                when 'month' then interval '1 month'
                when 'quarter' then interval '3 months'
                when 'half_year' then interval '6 months'
                else interval '12 months'
            end
            - interval '1 day'
        )::date as period_end,
        value,
        numerator,
        denominator,
        retrieved_at,
        source_url
    from typed

)

select * from final
