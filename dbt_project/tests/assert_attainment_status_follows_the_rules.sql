-- mart_target_attainment: the status, gap, ratio and projection columns agree with the rules of the model
-- description, recomputed here from the row's own columns. Returns the rows that break one.

with

attainment as (

    select * from {{ ref('mart_target_attainment') }}

),

checked as (

    select
        *,
        case comparator
            when '>=' then actual_value >= target_value
            when '>' then actual_value > target_value
            when '<=' then actual_value <= target_value
            when '<' then actual_value < target_value
            when '=' then actual_value = target_value
            when '≈' then abs(actual_value - target_value) <= 0.05 * abs(target_value)
        end as actual_meets,
        case comparator
            when '>=' then projected_value >= target_value
            when '>' then projected_value > target_value
            when '<=' then projected_value <= target_value
            when '<' then projected_value < target_value
            when '=' then projected_value = target_value
            when '≈' then abs(projected_value - target_value) <= 0.05 * abs(target_value)
        end as projection_meets
    from attainment

),

broken as (

    select
        target_id,
        status,
        status_basis
    from checked
    where
        -- no_data exactly when there is no actual, and then nothing derived from it
        (status = 'no_data') != (actual_value is null)
        or (actual_value is null and (gap is not null or projected_value is not null))
        -- the actual ends by the cutoff: the as-of date and the evaluation end, whichever comes first
        or actual_period_end > least(as_of_date, evaluation_end_date)
        -- district figures end when the level did, and are never carried to a successor
        or (admin_level = 'district' and (actual_period_end > date '2025-06-30' or evaluated_on_successor))
        or (admin_level = 'district' and evaluation_end_date > date '2025-06-30')
        -- positive gap = better than the target, whatever the direction
        or gap != case
            when direction = 'lower_is_better' then target_value - actual_value
            else actual_value - target_value
        end
        or attainment_ratio < 0
        -- the status ladder
        or (status = 'achieved') != coalesce(actual_meets, false)
        or (status = 'missed' and not evaluation_end_date < as_of_date)
        or (status in ('on_track', 'at_risk', 'off_track') and evaluation_end_date < as_of_date)
        or (status = 'on_track' and not coalesce(projection_meets, false))
        or (status_basis = 'projection')
        != (status in ('on_track', 'at_risk', 'off_track') and projected_value is not null)
        or (status_basis = 'single_observation')
        != (status in ('at_risk', 'off_track') and projected_value is null)
        -- projections need two points; the driving one is one of the two, the less favourable
        or (
            projection_points < 2
            and (projected_value_linear is not null or projected_value_compound_growth is not null)
        )
        or (projection_method = 'linear_trend' and projected_value != projected_value_linear)
        or (projection_method = 'compound_growth' and projected_value != projected_value_compound_growth)
        or (projection_method is null) != (projected_value is null)
        or (
            direction = 'higher_is_better'
            and projected_value > least(projected_value_linear, projected_value_compound_growth)
        )
        or (
            direction = 'lower_is_better'
            and projected_value < greatest(projected_value_linear, projected_value_compound_growth)
        )

)

select * from broken
