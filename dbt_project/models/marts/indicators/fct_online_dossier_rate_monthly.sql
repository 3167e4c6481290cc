-- Online dossier rate (plain) per month at three grains, in one table so BI filters by grain:
--   grain 'unit':     one handling unit at its admin level;
--   grain 'province': all units of a province at one admin level, unit_code '*';
--   grain 'province' with admin_level 'all': all units of a province at every level, unit_code '*'.
-- A filter of fct_indicator_observation (computed rows, method 'plain'), kept for the attainment mart
-- and BI reports written against it. Province figures are sums of unit numerators and denominators.

with

observations as (

    select * from {{ ref('fct_indicator_observation') }}
    where
        indicator_code = 'online_dossier_rate'
        and method = 'plain'
        and source_kind = 'computed'
        and source = 'portal_dossiers'
        and period_type = 'month'

),

final as (

    select
        concat_ws(
            '|', 'online_dossier_rate', 'plain', province_code, unit_code, admin_level,
            to_char(period_start, 'YYYY-MM')
        ) as rate_key,
        indicator_code,
        method,
        case when unit_code = '*' then 'province' else 'unit' end as grain,
        province_code,
        unit_code,
        admin_level,
        period_start,
        numerator::bigint as numerator,
        denominator::bigint as denominator,
        value::numeric(5, 2) as value
    from observations

)

select * from final
