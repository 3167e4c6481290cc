-- Every indicator observation with the province unit it belongs to: the province unit with the
-- observation's code that was valid on the period's last day. A code alone is not an identity (24 was
-- Bắc Giang until 2025-06-30 and is the new Bắc Ninh from 2025-07-01), so a figure for code 24 ending on
-- 2025-03-31 is Bắc Giang's and one ending on 2025-09-30 is the new Bắc Ninh's. National figures ('VN')
-- are not an administrative unit: no unit key, the name Việt Nam. territory_key is the unit key, or the
-- code when there is no unit. period_month_index counts months (12 × year + month of period_end), the
-- time axis of the projections.

with

observations as (

    select * from {{ ref('fct_indicator_observation') }}

),

provinces as (

    select * from {{ ref('dim_admin_unit') }}
    where level = 'province'

),

final as (

    select
        observations.observation_key,
        observations.indicator_code,
        observations.province_code,
        provinces.unit_key as province_unit_key,
        coalesce(provinces.unit_key, observations.province_code) as territory_key,
        case
            when observations.province_code = 'VN' then 'Việt Nam'
            else provinces.name_vi
        end as province_name,
        observations.unit_code,
        observations.admin_level,
        observations.period_type,
        observations.period_start,
        observations.period_end,
        (
            12 * extract(year from observations.period_end) + extract(month from observations.period_end)
        )::integer as period_month_index,
        observations.numerator,
        observations.denominator,
        observations.value,
        observations.unit,
        observations.source_kind,
        observations.source,
        observations.method,
        observations.load_id,
        observations.source_file
    from observations
    left join provinces
        on
            observations.province_code = provinces.unit_code
            and observations.period_end >= provinces.valid_from
            and (provinces.valid_to is null or observations.period_end <= provinces.valid_to)

)

select * from final
