-- Dossiers received or finished in a month when their province code had no province (a merged province's
-- portal still exporting under its old code) or at district level after the level was abolished. Those
-- months are left out of the computed indicators (int_dossier_indicators_computed); the dossiers stay in
-- fct_dossier. A warning: the night goes on, and the rows name the province, level and month to look at.
{{ config(severity='warn') }}

with

unit_months as (

    select * from {{ ref('int_dossiers_aggregated_to_unit_month') }}

),

computed as (

    select distinct
        province_code,
        admin_level,
        period_start
    from {{ ref('int_dossier_indicators_computed') }}
    where unit_code != '*'

)

select
    unit_months.province_code,
    unit_months.admin_level,
    unit_months.period_start,
    sum(unit_months.dossiers_received) as dossiers_received,
    sum(unit_months.finished_dossiers) as dossiers_finished
from unit_months
left join computed
    on
        unit_months.province_code = computed.province_code
        and unit_months.admin_level = computed.admin_level
        and unit_months.period_start = computed.period_start
where
    computed.province_code is null
    and (unit_months.dossiers_received > 0 or unit_months.finished_dossiers > 0)
group by unit_months.province_code, unit_months.admin_level, unit_months.period_start
