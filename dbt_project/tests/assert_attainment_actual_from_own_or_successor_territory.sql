-- mart_target_attainment: a target's actual is a whole-territory figure of its indicator and level, measured
-- on the target's home unit or, after the 2025 reorganization, on its successor, never on another
-- predecessor of that successor (Bắc Giang's figures never evaluate a Bắc Ninh target), and
-- evaluated_on_successor says when the successor was a merger. National targets use national figures.

with

attainment as (

    select * from {{ ref('mart_target_attainment') }}
    where actual_observation_key is not null

),

territories as (

    select * from {{ ref('int_target_territories') }}

),

observations as (

    select * from {{ ref('int_indicator_observations_located') }}

),

broken as (

    select
        attainment.target_id,
        observations.observation_key,
        observations.province_unit_key
    from attainment
    inner join territories
        on attainment.target_id = territories.target_id
    left join observations
        on attainment.actual_observation_key = observations.observation_key
    where
        observations.observation_key is null
        or observations.indicator_code != attainment.indicator_code
        or observations.admin_level != attainment.admin_level
        or observations.unit_code != '*'
        or observations.value != attainment.actual_value
        or (attainment.province_code = 'VN') != (observations.province_code = 'VN')
        or (
            attainment.province_code != 'VN'
            and observations.province_unit_key is distinct from territories.home_unit_key
            and observations.province_unit_key is distinct from territories.successor_unit_key
        )
        or attainment.evaluation_unit_key is distinct from observations.province_unit_key
        or attainment.evaluated_on_successor != coalesce(
            observations.province_unit_key = territories.successor_unit_key
            and territories.successor_is_merger,
            false
        )

)

select * from broken
