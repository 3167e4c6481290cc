-- A province row per level must equal the sum of its unit rows; the 'all' row the sum of every unit.

with

rates as (

    select * from {{ ref('fct_online_dossier_rate_monthly') }}

),

unit_sums as (

    select
        province_code,
        admin_level,
        period_start,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from rates
    where grain = 'unit'
    group by province_code, admin_level, period_start

    union all

    select
        province_code,
        'all' as admin_level,
        period_start,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from rates
    where grain = 'unit'
    group by province_code, period_start

),

province_rows as (

    select * from rates
    where grain = 'province'

),

mismatches as (

    select
        province_rows.province_code,
        province_rows.admin_level,
        province_rows.period_start
    from province_rows
    full outer join unit_sums
        on
            province_rows.province_code = unit_sums.province_code
            and province_rows.admin_level = unit_sums.admin_level
            and province_rows.period_start = unit_sums.period_start
    where
        province_rows.numerator is distinct from unit_sums.numerator
        or province_rows.denominator is distinct from unit_sums.denominator

)

select * from mismatches
