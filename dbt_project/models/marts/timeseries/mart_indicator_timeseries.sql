-- Every indicator observation, long and ready for BI: one row per observation of
-- fct_indicator_observation, with the indicator's names, pillar, unit and direction from the catalog and
-- the province resolved as the unit valid at the period's end (code 24 is Bắc Giang before 2025-07-01 and
-- the new Bắc Ninh after). Figures of merged provinces stay on the unit they were measured on: filter on
-- unit_code and admin_level before summing, and never add two provinces' rates. A computed 766 points row
-- carries its item of the index and how its scoring was established (mart_766_items).

with

observations as (

    select * from {{ ref('int_indicator_observations_located') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

items_766 as (

    select * from {{ ref('thresholds_766') }}
    where indicator_code is not null

),

final as (

    select
        observations.observation_key::text as observation_key,
        observations.indicator_code::text as indicator_code,
        indicators.name_vi::text as indicator_name_vi,
        indicators.name_en::text as indicator_name_en,
        indicators.pillar::text as pillar,
        observations.unit::text as unit,
        indicators.direction::text as direction,
        observations.province_code::text as province_code,
        observations.province_unit_key::text as province_unit_key,
        observations.province_name::text as province_name,
        observations.unit_code::text as unit_code,
        observations.admin_level::text as admin_level,
        observations.period_type::text as period_type,
        observations.period_start::date as period_start,
        observations.period_end::date as period_end,
        observations.value::numeric(20, 4) as value,
        observations.numerator::numeric(20, 4) as numerator,
        observations.denominator::numeric(20, 4) as denominator,
        observations.source_kind::text as source_kind,
        observations.source::text as source,  -- noqa: RF04
        observations.method::text as method,
        observations.load_id::bigint as load_id,
        observations.source_file::text as source_file,
        items_766.item_code::text as item_code_766,
        items_766.scoring_basis::text as scoring_basis_766
    from observations
    inner join indicators
        on observations.indicator_code = indicators.indicator_code
    left join items_766
        on
            observations.method = '766_threshold'
            and observations.indicator_code = items_766.indicator_code || '_points_766'

)

select * from final
