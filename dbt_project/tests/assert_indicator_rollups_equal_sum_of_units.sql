-- Computed province rows sum their units: per level, the row of each rate must carry the sum of the unit
-- denominators, and the sum of the unit numerators except for satisfaction_rate (whose numerator is
-- floored at 0 per row, so only its denominator adds up); the 'all' row sums every unit.

with

observations as (

    select * from {{ ref('fct_indicator_observation') }}
    where source_kind = 'computed' and unit = 'percent'

),

unit_rows as (

    select * from observations
    where unit_code != '*'

),

unit_sums as (

    select
        indicator_code,
        method,
        province_code,
        admin_level,
        period_start,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from unit_rows
    group by indicator_code, method, province_code, admin_level, period_start

    union all

    select
        indicator_code,
        method,
        province_code,
        'all' as admin_level,
        period_start,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from unit_rows
    group by indicator_code, method, province_code, period_start

),

province_rows as (

    select * from observations
    where unit_code = '*'

),

mismatches as (

    select
        coalesce(province_rows.indicator_code, unit_sums.indicator_code) as indicator_code,
        coalesce(province_rows.method, unit_sums.method) as method,
        coalesce(province_rows.province_code, unit_sums.province_code) as province_code,
        coalesce(province_rows.admin_level, unit_sums.admin_level) as admin_level,
        coalesce(province_rows.period_start, unit_sums.period_start) as period_start
    from province_rows
    full outer join unit_sums
        on
            province_rows.indicator_code = unit_sums.indicator_code
            and province_rows.method = unit_sums.method
            and province_rows.province_code = unit_sums.province_code
            and province_rows.admin_level = unit_sums.admin_level
            and province_rows.period_start = unit_sums.period_start
    where
        province_rows.denominator is distinct from unit_sums.denominator
        or (
            coalesce(province_rows.indicator_code, unit_sums.indicator_code) != 'satisfaction_rate'
            and province_rows.numerator is distinct from unit_sums.numerator
        )

)

select * from mismatches
