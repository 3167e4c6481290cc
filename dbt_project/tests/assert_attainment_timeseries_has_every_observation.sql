-- mart_indicator_timeseries holds every observation of fct_indicator_observation once, with the same value
-- (to the mart's 4 decimals), and resolves each province code to at most one unit.

with

timeseries as (

    select * from {{ ref('mart_indicator_timeseries') }}

),

observations as (

    select * from {{ ref('fct_indicator_observation') }}

),

broken as (

    select coalesce(timeseries.observation_key, observations.observation_key) as observation_key
    from timeseries
    full outer join observations
        on timeseries.observation_key = observations.observation_key
    where
        timeseries.observation_key is null
        or observations.observation_key is null
        or timeseries.value != round(observations.value, 4)
        or timeseries.period_end != observations.period_end
        or (timeseries.province_code != 'VN' and timeseries.province_unit_key is null)

)

select * from broken
