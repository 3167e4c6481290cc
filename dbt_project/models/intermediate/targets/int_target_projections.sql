-- Two readings of each target's actual series, side by side, for targets whose deadline has not passed
-- (a passed deadline is judged, not projected: no row). The series is the actual's: same territory, source
-- kind, source, method and period type, up to the cutoff; it never crosses the 2025 reorganization.
-- Time is counted in months (period_month_index, the month of period_end; the deadline is December).
--
-- Linear trend (the project's own projection) — least squares (regr_intercept / regr_slope) over the
--   window of the 12 latest observations (12 months of a monthly series), read at evaluation_end_date;
--   needs two months with data. Clamped to what the unit allows (percent 0–100, rank ≥ 1, counts ≥ 0)
--   and rounded to 2 decimals.
-- Open SDG progress measure, as Open SDG documents it (docs/marts.md) — no projection: the observed
--   compound annual growth from the base (the series' first observation) to the latest, against the
--   growth required to go from the base to the target by the deadline; their ratio
--   R = d × observed / |required| (d = +1 higher_is_better, −1 lower_is_better) is graded on track
--   (R ≥ 0.95), needs acceleration (0.6 ≤ R < 0.95), limited progress (0 ≤ R < 0.6) or deterioration
--   (R < 0). Needs at least a year between the base and the latest observation and no negative value; a
--   base or target of 0 counts as 0.001 (Open SDG's replacement). target_achieved when the latest value
--   already meets the target (the mart's rule), unable_to_assess when the data fall short of the minimum.

{%- set open_sdg_on_track = 0.95 %}
{%- set open_sdg_needs_acceleration = 0.6 %}

with

targets as (

    select * from {{ ref('targets') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

territories as (

    select * from {{ ref('int_target_territories') }}
    where not is_deadline_passed

),

candidates as (

    select * from {{ ref('int_target_actual_candidates') }}

),

actuals as (

    select candidates.*
    from candidates
    inner join territories
        on candidates.target_id = territories.target_id
    where candidates.actual_rank = 1

),

series as (

    select
        candidates.target_id,
        candidates.series_recency,
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

),

linear_fit as (

    select
        target_id,
        count(*) as linear_points,
        min(period_start) as linear_window_start,
        max(period_end) as linear_window_end,
        count(distinct period_month_index) as linear_months,
        -- x = months before the deadline, so the intercept is the trend's value at the deadline
        regr_intercept(value, (period_month_index - end_month_index)::double precision) as linear_at_end,
        regr_slope(value, (period_month_index - end_month_index)::double precision) as slope_per_month
    from series
    where series_recency <= 12
    group by target_id

),

base_and_latest as (

    select
        target_id,
        count(*) as series_points,
        max(end_month_index) as end_month_index,
        (array_agg(period_start order by period_end asc, period_start asc))[1] as base_period_start,
        (array_agg(period_end order by period_end asc, period_start asc))[1] as base_period_end,
        (array_agg(value order by period_end asc, period_start asc))[1] as base_value,
        (array_agg(period_month_index order by period_end asc, period_start asc))[1] as base_month_index,
        max(period_end) as latest_period_end,
        min(value) as lowest_value
    from series
    group by target_id

),

open_sdg_rates as (

    select
        actuals.target_id,
        base_and_latest.base_period_start,
        base_and_latest.base_value,
        -- Open SDG's minimum: two years of data (a year at least between base and latest), no negative value
        actuals.period_month_index - base_and_latest.base_month_index >= 12
        and base_and_latest.lowest_value >= 0 as is_assessable,
        -- Open SDG's replacement of a zero base or target
        case
            when base_and_latest.base_value = 0 then 0.001 else base_and_latest.base_value
        end as base_for_growth,
        greatest(targets.target_value::double precision, 0.001) as target_for_growth,
        actuals.value::double precision as latest_value,
        actuals.period_month_index - base_and_latest.base_month_index as months_observed,
        base_and_latest.end_month_index - base_and_latest.base_month_index as months_required,
        case when indicators.direction = 'lower_is_better' then -1 else 1 end as desired_sign
    from actuals
    inner join base_and_latest
        on actuals.target_id = base_and_latest.target_id
    inner join targets
        on actuals.target_id = targets.target_id
    inner join indicators
        on targets.indicator_code = indicators.indicator_code

),

open_sdg_growth as (

    select
        *,
        case
            when is_assessable then power(latest_value / base_for_growth, 12.0 / months_observed) - 1
        end as observed_rate,
        case
            when is_assessable then power(target_for_growth / base_for_growth, 12.0 / months_required) - 1
        end as required_rate
    from open_sdg_rates

),

open_sdg as (

    select
        *,
        desired_sign * observed_rate / nullif(abs(required_rate), 0) as growth_ratio
    from open_sdg_growth

),

final as (

    select
        linear_fit.target_id,
        linear_fit.linear_points::integer as projection_points,
        linear_fit.linear_window_start as projection_window_start,
        linear_fit.linear_window_end as projection_window_end,
        case
            when linear_fit.linear_months >= 2 then round((12 * linear_fit.slope_per_month)::numeric, 6)
        end as linear_trend_slope_per_year,
        round(
            (
                case
                    when linear_fit.linear_months < 2 then null
                    when targets.unit = 'percent' then least(greatest(linear_fit.linear_at_end, 0), 100)
                    when targets.unit = 'rank' then greatest(linear_fit.linear_at_end, 1)
                    else greatest(linear_fit.linear_at_end, 0)
                end
            )::numeric,
            2
        ) as projected_value_linear,
        case when open_sdg.is_assessable then 2 end as open_sdg_points,
        case when open_sdg.is_assessable then open_sdg.base_period_start end as open_sdg_window_start,
        case when open_sdg.is_assessable then linear_fit.linear_window_end end as open_sdg_window_end,
        case when open_sdg.is_assessable then open_sdg.base_value end as open_sdg_base_value,
        round(open_sdg.observed_rate::numeric, 6) as open_sdg_observed_growth_rate,
        round(open_sdg.required_rate::numeric, 6) as open_sdg_required_growth_rate,
        round(open_sdg.growth_ratio::numeric, 4) as open_sdg_growth_ratio,
        case
            when not open_sdg.is_assessable or open_sdg.growth_ratio is null then 'unable_to_assess'
            when open_sdg.growth_ratio >= {{ open_sdg_on_track }} then 'on_track'
            when open_sdg.growth_ratio >= {{ open_sdg_needs_acceleration }} then 'needs_acceleration'
            when open_sdg.growth_ratio >= 0 then 'limited_progress'
            else 'deterioration'
        end as open_sdg_progress
    from linear_fit
    inner join open_sdg
        on linear_fit.target_id = open_sdg.target_id
    inner join targets
        on linear_fit.target_id = targets.target_id

)

select * from final
