-- Where each target stands on as_of_date: its latest actual, the gap and attainment ratio, the value its
-- series is projected to reach by the deadline (linear trend and compound growth), and a status.
-- Rules are in _targets__models.yml and docs/marts.md.

{#- "value meets the target" and "value falls short by at most 10% of the target", for a value column -#}
{%- set meets -%}
    case comparator
        when '>=' then {v} >= target_value
        when '>' then {v} > target_value
        when '<=' then {v} <= target_value
        when '<' then {v} < target_value
        when '=' then {v} = target_value
        when '≈' then abs({v} - target_value) <= 0.05 * abs(target_value)
    end
{%- endset -%}
{%- set within_ten_percent -%}
    case
        when comparator in ('>=', '>') then target_value - {v}
        when comparator in ('<=', '<') then {v} - target_value
        else abs({v} - target_value)
    end <= 0.10 * abs(target_value)
{%- endset %}

with

targets as (

    select * from {{ ref('targets') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

territories as (

    select * from {{ ref('int_target_territories') }}

),

actuals as (

    select * from {{ ref('int_target_actual_candidates') }}
    where actual_rank = 1

),

projections as (

    select * from {{ ref('int_target_projections') }}

),

joined as (

    select
        targets.target_id,
        targets.province_code,
        targets.province_name,
        targets.indicator_code,
        indicators.name_vi as indicator_name_vi,
        indicators.name_en as indicator_name_en,
        indicators.pillar,
        indicators.direction,
        targets.admin_level,
        targets.deadline_year,
        territories.deadline_date,
        targets.target_year_kind,
        targets.comparator,
        targets.target_value,
        targets.unit,
        targets.source_file,
        targets.source_quote,
        territories.as_of_date,
        territories.evaluation_end_date,
        case
            when actuals.target_id is not null then actuals.province_unit_key
            when
                territories.successor_unit_key is not null
                and territories.observation_cutoff_date > territories.home_unit_valid_to
                then territories.successor_unit_key
            else territories.home_unit_key
        end as evaluation_unit_key,
        case
            when actuals.target_id is not null then actuals.province_code
            when
                territories.successor_unit_key is not null
                and territories.observation_cutoff_date > territories.home_unit_valid_to
                then territories.successor_unit_code
            else targets.province_code
        end as evaluation_province_code,
        case
            when actuals.target_id is not null then actuals.province_name
            when
                territories.successor_unit_key is not null
                and territories.observation_cutoff_date > territories.home_unit_valid_to
                then territories.successor_unit_name
            when targets.province_code = 'VN' then 'Việt Nam'
            else territories.home_unit_name
        end as evaluation_province_name,
        case
            when actuals.target_id is not null then actuals.is_from_merged_successor
            else
                coalesce(
                    territories.successor_is_merger
                    and territories.observation_cutoff_date > territories.home_unit_valid_to,
                    false
                )
        end as evaluated_on_successor,
        actuals.observation_key as actual_observation_key,
        actuals.value as actual_value,
        actuals.numerator as actual_numerator,
        actuals.denominator as actual_denominator,
        actuals.period_type as actual_period_type,
        actuals.period_start as actual_period_start,
        actuals.period_end as actual_period_end,
        actuals.source_kind as actual_source_kind,
        actuals.source as actual_source,
        actuals.method as actual_method,
        projections.projection_points,
        projections.projection_window_start,
        projections.linear_trend_slope_per_year,
        projections.projected_value_linear,
        projections.compound_growth_rate,
        projections.projected_value_compound_growth
    from targets
    inner join indicators
        on targets.indicator_code = indicators.indicator_code
    inner join territories
        on targets.target_id = territories.target_id
    left join actuals
        on targets.target_id = actuals.target_id
    left join projections
        on targets.target_id = projections.target_id

),

projected as (

    select
        *,
        -- the less favourable of the two projections drives the status (the only one when one is null)
        case
            when projected_value_linear is null and projected_value_compound_growth is null then null
            when projected_value_compound_growth is null then 'linear_trend'
            when projected_value_linear is null then 'compound_growth'
            when direction = 'lower_is_better' and projected_value_compound_growth > projected_value_linear
                then 'compound_growth'
            when direction = 'lower_is_better' then 'linear_trend'
            when projected_value_compound_growth < projected_value_linear then 'compound_growth'
            else 'linear_trend'
        end as projection_method
    from joined

),

compared as (

    select
        *,
        case projection_method
            when 'linear_trend' then projected_value_linear
            when 'compound_growth' then projected_value_compound_growth
        end as projected_value,
        {{ meets | replace('{v}', 'actual_value') }} as actual_meets_target,
        {{ within_ten_percent | replace('{v}', 'actual_value') }} as actual_within_ten_percent
    from projected

),

judged as (

    select
        *,
        {{ meets | replace('{v}', 'projected_value') }} as projection_meets_target,
        {{ within_ten_percent | replace('{v}', 'projected_value') }} as projection_within_ten_percent
    from compared

),

final as (

    select
        target_id::text as target_id,
        province_code::text as province_code,
        province_name::text as province_name,
        indicator_code::text as indicator_code,
        indicator_name_vi::text as indicator_name_vi,
        indicator_name_en::text as indicator_name_en,
        pillar::text as pillar,
        direction::text as direction,
        admin_level::text as admin_level,
        deadline_year::integer as deadline_year,
        deadline_date::date as deadline_date,
        target_year_kind::text as target_year_kind,
        comparator::text as comparator,
        target_value::numeric(20, 4) as target_value,
        unit::text as unit,
        source_file::text as source_file,
        source_quote::text as source_quote,
        as_of_date::date as as_of_date,
        evaluation_end_date::date as evaluation_end_date,
        evaluation_unit_key::text as evaluation_unit_key,
        evaluation_province_code::text as evaluation_province_code,
        evaluation_province_name::text as evaluation_province_name,
        evaluated_on_successor::boolean as evaluated_on_successor,
        actual_observation_key::text as actual_observation_key,
        actual_value::numeric(20, 4) as actual_value,
        actual_numerator::numeric(20, 4) as actual_numerator,
        actual_denominator::numeric(20, 4) as actual_denominator,
        actual_period_type::text as actual_period_type,
        actual_period_start::date as actual_period_start,
        actual_period_end::date as actual_period_end,
        actual_source_kind::text as actual_source_kind,
        actual_source::text as actual_source,
        actual_method::text as actual_method,
        (
            case
                when direction = 'lower_is_better' then target_value - actual_value
                else actual_value - target_value
            end
        )::numeric(20, 4) as gap,
        round(
            case
                when direction = 'lower_is_better' then target_value / nullif(actual_value, 0)
                else actual_value / nullif(target_value, 0)
            end,
            4
        )::numeric(12, 4) as attainment_ratio,
        projection_points::integer as projection_points,
        projection_window_start::date as projection_window_start,
        linear_trend_slope_per_year::numeric(20, 6) as linear_trend_slope_per_year,
        projected_value_linear::numeric(20, 2) as projected_value_linear,
        compound_growth_rate::numeric(20, 6) as compound_growth_rate,
        projected_value_compound_growth::numeric(20, 2) as projected_value_compound_growth,
        projection_method::text as projection_method,
        projected_value::numeric(20, 2) as projected_value,
        case
            when actual_value is null then 'no_data'
            when actual_meets_target then 'achieved'
            when evaluation_end_date < as_of_date then 'missed'
            when projection_meets_target then 'on_track'
            when projection_within_ten_percent then 'at_risk'
            when projected_value is not null then 'off_track'
            when actual_within_ten_percent then 'at_risk'
            else 'off_track'
        end::text as status,
        case
            when actual_value is null then 'no_observation'
            when actual_meets_target then 'actual'
            when evaluation_end_date < as_of_date then 'deadline_passed'
            when projected_value is not null then 'projection'
            else 'single_observation'
        end::text as status_basis
    from judged

)

select * from final
