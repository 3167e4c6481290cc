-- mart_target_attainment: the status, gap, ratio and projection columns agree with the rules of the model
-- description, recomputed here from the row's own columns. Returns the rows that break one.

with

attainment as (

    select * from {{ ref('mart_target_attainment') }}

),

checked as (

    select
        *,
        evaluation_end_date < as_of_date as deadline_passed,
        case comparator
            when '>=' then actual_value >= target_value
            when '>' then actual_value > target_value
            when '<=' then actual_value <= target_value
            when '<' then actual_value < target_value
            when '=' then actual_value = target_value
            when '≈' then
                case
                    when direction = 'lower_is_better' then actual_value <= 1.05 * target_value
                    else actual_value >= 0.95 * target_value
                end
        end as actual_meets,
        case comparator
            when '>=' then projected_value >= target_value
            when '>' then projected_value > target_value
            when '<=' then projected_value <= target_value
            when '<' then projected_value < target_value
            when '=' then projected_value = target_value
            when '≈' then
                case
                    when direction = 'lower_is_better' then projected_value <= 1.05 * target_value
                    else projected_value >= 0.95 * target_value
                end
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
        or (
            actual_value is null
            and (gap is not null or projected_value is not null or open_sdg_progress is not null)
        )
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
        -- a passed deadline is judged on a figure covering it, or says the data stop before it
        or (status = 'missed') != (
            deadline_passed and not coalesce(actual_meets, false) and actual_period_end = evaluation_end_date
        )
        or (status = 'no_data_at_deadline') != (
            deadline_passed and not coalesce(actual_meets, false) and actual_period_end < evaluation_end_date
        )
        or (status in ('on_track', 'at_risk', 'off_track', 'not_enough_data') and deadline_passed)
        -- nothing is projected or graded for a passed deadline
        or (deadline_passed and (projected_value is not null or open_sdg_progress is not null))
        or (status = 'on_track' and not coalesce(projection_meets, false))
        or (status_basis = 'projection')
        != (status in ('on_track', 'at_risk', 'off_track') and projected_value is not null)
        or (status_basis = 'single_observation')
        != (status in ('at_risk', 'off_track', 'not_enough_data') and projected_value is null)
        -- the one projection that drives the status is the linear trend, over two months at least
        or (projection_points < 2 and projected_value_linear is not null)
        or projected_value is distinct from projected_value_linear
        or (projection_method is null) != (projected_value is null)
        -- Open SDG's measure: two points a year apart at least, graded from its ratio
        or (
            open_sdg_points is not null
            and open_sdg_window_end < open_sdg_window_start + interval '11 months'
        )
        or open_sdg_progress != case
            when actual_meets then 'target_achieved'
            when open_sdg_growth_ratio is null then 'unable_to_assess'
            when open_sdg_growth_ratio >= 0.95 then 'on_track'
            when open_sdg_growth_ratio >= 0.6 then 'needs_acceleration'
            when open_sdg_growth_ratio >= 0 then 'limited_progress'
            else 'deterioration'
        end

)

select * from broken
