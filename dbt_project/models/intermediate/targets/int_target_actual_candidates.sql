-- Every observation that may evaluate a target, ranked: actual_rank 1 is the target's actual.
-- Eligible: the target's indicator and admin_level, the whole territory (unit_code '*'), ending on or
-- before the target's observation_cutoff_date, on the target's home unit or on its successor unit (the
-- unit that holds the territory after the 2025 reorganization; never another predecessor of that
-- successor, so Bắc Giang's figures never evaluate a Bắc Ninh target), or the national figures for a
-- national target. Targets set for every year ('every_year') are evaluated on yearly figures only.
-- Ranking: the latest period (period_end, then period_start: of two periods ending the same day the
-- shorter one), then computed > reported > published > document, then method 'plain' (the online
-- dossier rate without 766's result rule) before others, then source and key (deterministic).
-- series_recency numbers the observations of one series (same target, territory, source kind, source,
-- method and period type) from the latest: the projections use the 12 latest of the actual's series.

with

targets as (

    select * from {{ ref('targets') }}

),

territories as (

    select * from {{ ref('int_target_territories') }}

),

observations as (

    select * from {{ ref('int_indicator_observations_located') }}

),

eligible as (

    select
        targets.target_id,
        territories.evaluation_end_date,
        observations.observation_key,
        observations.indicator_code,
        observations.province_code,
        observations.province_unit_key,
        observations.territory_key,
        observations.province_name,
        observations.admin_level,
        observations.period_type,
        observations.period_start,
        observations.period_end,
        observations.period_month_index,
        observations.numerator,
        observations.denominator,
        observations.value,
        observations.source_kind,
        observations.source,
        observations.method,
        observations.load_id,
        observations.source_file,
        coalesce(observations.province_unit_key = territories.successor_unit_key, false)
            as is_from_successor,
        coalesce(
            observations.province_unit_key = territories.successor_unit_key
            and territories.successor_is_merger,
            false
        ) as is_from_merged_successor,
        case observations.source_kind
            when 'computed' then 1
            when 'reported' then 2
            when 'published' then 3
            when 'document' then 4
            else 5
        end as source_kind_priority,
        case when observations.method = 'plain' then 0 else 1 end as method_priority
    from targets
    inner join territories
        on targets.target_id = territories.target_id
    inner join observations
        on
            targets.indicator_code = observations.indicator_code
            and targets.admin_level = observations.admin_level
            and observations.unit_code = '*'
            and territories.observation_cutoff_date >= observations.period_end
            and (targets.target_year_kind != 'every_year' or observations.period_type = 'year')
            and (
                (targets.province_code = 'VN' and observations.province_code = 'VN')
                or territories.home_unit_key = observations.province_unit_key
                or territories.successor_unit_key = observations.province_unit_key
            )

),

final as (

    select
        *,
        row_number() over (
            partition by target_id
            order by
                period_end desc,
                period_start desc,
                source_kind_priority asc,
                method_priority asc,
                source asc,
                observation_key asc
        ) as actual_rank,
        row_number() over (
            partition by target_id, territory_key, source_kind, source, method, period_type
            order by period_end desc
        ) as series_recency
    from eligible

)

select * from final
