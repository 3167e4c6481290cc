-- Online dossier rate (plain) per month at three grains, in one table so BI filters by grain:
--   grain 'unit':     one handling unit at its admin level;
--   grain 'province': all units of a province at one admin level, unit_code '*';
--   grain 'province' with admin_level 'all': all units of a province at every level, unit_code '*'.
-- Province figures are sums of unit numerators and denominators, never averages of unit rates.

with

unit_months as (

    select * from {{ ref('int_dossiers_aggregated_to_unit_month') }}

),

unit_rows as (

    select
        'unit' as grain,
        province_code,
        unit_code,
        admin_level,
        period_start,
        online_dossiers as numerator,
        dossiers_received as denominator
    from unit_months

),

province_level_rows as (

    select
        'province' as grain,
        province_code,
        '*' as unit_code,
        admin_level,
        period_start,
        sum(online_dossiers) as numerator,
        sum(dossiers_received) as denominator
    from unit_months
    group by province_code, admin_level, period_start

),

province_all_levels_rows as (

    select
        'province' as grain,
        province_code,
        '*' as unit_code,
        'all' as admin_level,
        period_start,
        sum(online_dossiers) as numerator,
        sum(dossiers_received) as denominator
    from unit_months
    group by province_code, period_start

),

unioned as (

    select * from unit_rows
    union all
    select * from province_level_rows
    union all
    select * from province_all_levels_rows

),

final as (

    select
        concat_ws(
            '|', 'online_dossier_rate', 'plain', province_code, unit_code, admin_level,
            to_char(period_start, 'YYYY-MM')
        ) as rate_key,
        'online_dossier_rate' as indicator_code,
        'plain' as method,
        grain,
        province_code,
        unit_code,
        admin_level,
        period_start,
        numerator::bigint as numerator,
        denominator::bigint as denominator,
        round(100.0 * numerator / nullif(denominator, 0), 2)::numeric(5, 2) as value
    from unioned

)

select * from final
