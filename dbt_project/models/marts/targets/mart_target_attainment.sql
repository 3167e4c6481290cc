-- Where each target stands on as_of_date: its latest actual, the gap and attainment ratio, the value its
-- series is projected to reach by the deadline (linear trend) beside Open SDG's progress measure, and a
-- status.
-- Rules are in _targets__models.yml and docs/marts.md.

{#- "value meets the target" and "value falls short by little" (at_risk), for a value column. An "about"
    target ('≈', "khoảng") is met within 5% on the unfavourable side and by anything beyond it: "khoảng 20%"
    is met by 19.0 and by 22. A rank falls short by little when it is at most 3 places behind ("top 10":
    12th; "top 30": 33rd); any other figure when it is at most 10% of the target short. -#}
{%- set meets -%}
    case comparator
        when '>=' then {v} >= target_value
        when '>' then {v} > target_value
        when '<=' then {v} <= target_value
        when '<' then {v} < target_value
        when '=' then {v} = target_value
        when '≈' then
            case
                when direction = 'lower_is_better' then {v} <= target_value + 0.05 * abs(target_value)
                else {v} >= target_value - 0.05 * abs(target_value)
            end
    end
{%- endset -%}
{%- set short_by_little -%}
    case
        when comparator in ('>=', '>') or (comparator = '≈' and direction != 'lower_is_better')
            then target_value - {v}
        when comparator in ('<=', '<', '≈') then {v} - target_value
        else abs({v} - target_value)
    end <= case when unit = 'rank' then 3 else 0.10 * abs(target_value) end
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
        territories.evaluation_unit_key,
        territories.evaluation_province_code,
        territories.evaluation_province_name,
        territories.evaluated_on_successor,
        territories.is_deadline_passed,
        actuals.province_code as actual_province_code,
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
        projections.projection_window_end,
        projections.linear_trend_slope_per_year,
        projections.projected_value_linear,
        projections.open_sdg_points,
        projections.open_sdg_window_start,
        projections.open_sdg_window_end,
        projections.open_sdg_base_value,
        projections.open_sdg_observed_growth_rate,
        projections.open_sdg_required_growth_rate,
        projections.open_sdg_growth_ratio,
        case
            when actuals.target_id is null or territories.is_deadline_passed then null
            else coalesce(projections.open_sdg_progress, 'unable_to_assess')
        end as open_sdg_progress,
        -- months from the actual's period to the evaluation end: one figure judges only a near deadline
        (
            12 * extract(year from territories.evaluation_end_date)
            + extract(month from territories.evaluation_end_date)
            - 12 * extract(year from actuals.period_end)
            - extract(month from actuals.period_end)
        )::integer as months_from_actual_to_end
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

compared as (

    select
        *,
        {{ meets | replace('{v}', 'actual_value') }} as actual_meets_target,
        {{ short_by_little | replace('{v}', 'actual_value') }} as actual_short_by_little,
        {{ meets | replace('{v}', 'projected_value_linear') }} as projection_meets_target,
        {{ short_by_little | replace('{v}', 'projected_value_linear') }} as projection_short_by_little
    from joined

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
        actual_province_code::text as actual_province_code,
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
        projection_window_end::date as projection_window_end,
        linear_trend_slope_per_year::numeric(20, 6) as linear_trend_slope_per_year,
        projected_value_linear::numeric(20, 2) as projected_value_linear,
        case when projected_value_linear is not null then 'linear_trend' end::text as projection_method,
        projected_value_linear::numeric(20, 2) as projected_value,
        open_sdg_points::integer as open_sdg_points,
        open_sdg_window_start::date as open_sdg_window_start,
        open_sdg_window_end::date as open_sdg_window_end,
        open_sdg_base_value::numeric(20, 4) as open_sdg_base_value,
        open_sdg_observed_growth_rate::numeric(20, 6) as open_sdg_observed_growth_rate,
        open_sdg_required_growth_rate::numeric(20, 6) as open_sdg_required_growth_rate,
        open_sdg_growth_ratio::numeric(20, 4) as open_sdg_growth_ratio,
        (
            case
                when open_sdg_progress is null then null
                when actual_meets_target then 'target_achieved'
                else open_sdg_progress
            end
        )::text as open_sdg_progress,
        case
            when actual_value is null then 'no_data'
            when actual_meets_target then 'achieved'
            when is_deadline_passed and actual_period_end >= evaluation_end_date then 'missed'
            when is_deadline_passed then 'no_data_at_deadline'
            when projected_value_linear is not null and projection_meets_target then 'on_track'
            when projected_value_linear is not null and projection_short_by_little then 'at_risk'
            when projected_value_linear is not null then 'off_track'
            when months_from_actual_to_end > 12 then 'not_enough_data'
            when actual_short_by_little then 'at_risk'
            else 'off_track'
        end::text as status,
        case
            when actual_value is null then 'no_observation'
            when actual_meets_target then 'actual'
            when is_deadline_passed and actual_period_end >= evaluation_end_date then 'deadline_passed'
            when is_deadline_passed then 'data_ends_before_deadline'
            when projected_value_linear is not null then 'projection'
            else 'single_observation'
        end::text as status_basis
    from compared

)

select * from final
