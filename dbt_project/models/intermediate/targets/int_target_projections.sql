-- The value each target's actual series is projected to reach on the target's evaluation_end_date (the
-- deadline, 31 December of deadline_year; for district targets at most the last day of the level).
-- Window: the 12 latest observations of the actual's series (same territory, source kind, source, method
-- and period type: 12 months of a monthly series), all of them when there are fewer. The series never
-- crosses the 2025 reorganization: a target evaluated on its successor projects the successor's series.
-- Time is counted in months (period_month_index, the month of period_end; the deadline is December).
-- Two methods, each null when the window has fewer than two months with data:
--   linear trend — least squares over the window (regr_intercept / regr_slope), read at the deadline;
--   compound growth (Open SDG's progress measure) — the compound annual growth rate between the first
--     and the last observation of the window, CAGR = (last / first) ^ (12 / months between) − 1, applied
--     from the last observation to the deadline: last × (1 + CAGR) ^ (months to the deadline / 12); null
--     when the first or last value is not positive.
-- Projected values are clamped to what the unit allows (percent 0–100, rank ≥ 1, counts and points ≥ 0)
-- and rounded to 2 decimals; the growth rate is a fraction per year rounded to 6 decimals.

with

targets as (

    select * from {{ ref('targets') }}

),

candidates as (

    select * from {{ ref('int_target_actual_candidates') }}

),

actuals as (

    select * from candidates
    where actual_rank = 1

),

series_window as (

    select
        candidates.target_id,
        candidates.period_start,
        candidates.period_end,
        candidates.period_month_index,
        candidates.value::double precision as value,
        (
            12 * extract(year from candidates.evaluation_end_date)
            + extract(month from candidates.evaluation_end_date)
        )::integer as end_month_index
    from candidates
    inner join actuals
        on
            candidates.target_id = actuals.target_id
            and candidates.territory_key = actuals.territory_key
            and candidates.source_kind = actuals.source_kind
            and candidates.source = actuals.source
            and candidates.method = actuals.method
            and candidates.period_type = actuals.period_type
    where candidates.series_recency <= 12

),

fitted as (

    select
        target_id,
        count(*) as projection_points,
        min(period_start) as projection_window_start,
        max(period_end) as projection_window_end,
        max(end_month_index) as end_month_index,
        -- x = months before the deadline, so the intercept is the trend's value at the deadline
        regr_intercept(value, (period_month_index - end_month_index)::double precision) as linear_at_end,
        regr_slope(value, (period_month_index - end_month_index)::double precision) as slope_per_month,
        (array_agg(value order by period_end asc))[1] as first_value,
        (array_agg(period_month_index order by period_end asc))[1] as first_month_index,
        (array_agg(value order by period_end desc))[1] as last_value,
        (array_agg(period_month_index order by period_end desc))[1] as last_month_index
    from series_window
    group by target_id

),

grown as (

    select
        *,
        case
            when first_value > 0 and last_value > 0 and last_month_index > first_month_index
                then power(last_value / first_value, 12.0 / (last_month_index - first_month_index)) - 1
        end as compound_growth_rate,
        case
            when first_value > 0 and last_value > 0 and last_month_index > first_month_index
                then
                    last_value
                    * power(
                        last_value / first_value,
                        (end_month_index - last_month_index)::double precision
                        / (last_month_index - first_month_index)
                    )
        end as compound_growth_at_end
    from fitted

),

final as (

    select
        grown.target_id,
        grown.projection_points::integer as projection_points,
        grown.projection_window_start,
        grown.projection_window_end,
        round((12 * grown.slope_per_month)::numeric, 6) as linear_trend_slope_per_year,
        round(
            (
                case
                    when grown.linear_at_end is null then null
                    when targets.unit = 'percent' then least(greatest(grown.linear_at_end, 0), 100)
                    when targets.unit = 'rank' then greatest(grown.linear_at_end, 1)
                    else greatest(grown.linear_at_end, 0)
                end
            )::numeric,
            2
        ) as projected_value_linear,
        round(grown.compound_growth_rate::numeric, 6) as compound_growth_rate,
        round(
            (
                case
                    when grown.compound_growth_at_end is null then null
                    when targets.unit = 'percent' then least(greatest(grown.compound_growth_at_end, 0), 100)
                    when targets.unit = 'rank' then greatest(grown.compound_growth_at_end, 1)
                    else greatest(grown.compound_growth_at_end, 0)
                end
            )::numeric,
            2
        ) as projected_value_compound_growth
    from grown
    inner join targets
        on grown.target_id = targets.target_id

)

select * from final
