-- Every points row has the rate row it scores (same key, indicator code without the suffix, the seed's
-- rate method) and lies between 0 and the item's max_points; every scored rate row has its points row.

with

observations as (

    select * from {{ ref('fct_indicator_observation') }}
    where source_kind = 'computed'

),

thresholds as (

    select * from {{ ref('thresholds_766') }}

),

points as (

    select * from observations
    where unit = 'points'

),

scored_rates as (

    select observations.*
    from observations
    inner join thresholds
        on
            observations.indicator_code = thresholds.indicator_code
            and observations.method = thresholds.rate_method
    where observations.unit = 'percent'

),

paired as (

    select
        points.observation_key as points_key,
        scored_rates.observation_key as rate_key,
        points.value as points_value,
        thresholds.max_points
    from points
    full outer join scored_rates
        on
            points.indicator_code = scored_rates.indicator_code || '_points_766'
            and points.province_code = scored_rates.province_code
            and points.unit_code = scored_rates.unit_code
            and points.admin_level = scored_rates.admin_level
            and points.period_start = scored_rates.period_start
    left join thresholds
        on scored_rates.indicator_code = thresholds.indicator_code

),

failures as (

    select * from paired
    where
        points_key is null
        or rate_key is null
        or points_value < 0
        or points_value > max_points

)

select * from failures
