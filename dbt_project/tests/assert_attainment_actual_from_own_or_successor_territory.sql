-- mart_target_attainment: a target's actual is a whole-territory figure of its indicator and level, measured
-- on the target's home unit or, after the 2025 reorganization, on its successor, never on another
-- predecessor of that successor (Bắc Giang's figures never evaluate a Bắc Ninh target), and
-- evaluated_on_successor says when the successor was a merger. National targets use national figures.
-- Which territory a target is evaluated on follows the cutoff alone: the same with or without data.

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
        -- the territory follows the cutoff, not the data: an actual from the successor means the target
        -- is evaluated on it, and an actual from the home unit is older than the successor's first day
        or (
            observations.province_unit_key = territories.successor_unit_key
            and attainment.evaluation_unit_key is distinct from territories.successor_unit_key
        )
        or attainment.evaluation_unit_key is distinct from territories.evaluation_unit_key
        or attainment.evaluated_on_successor != territories.evaluated_on_successor
        or attainment.actual_province_code != observations.province_code

)

select * from broken
