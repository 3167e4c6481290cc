-- The dossier indicators computed from the portal exports, as rows of marts.fct_indicator_observation:
-- per handling unit, per province and admin level (unit_code '*'), and per province over every level
-- (unit_code '*', admin_level 'all'), each month. Province figures sum unit numerators and denominators;
-- rates are 100 × numerator / denominator rounded to 2 decimals, and a row exists only when its
-- denominator is positive. Points rows score a rate against its 766 item in thresholds_766.
-- Rules: _int_portal__models.yml.
-- A table over the small monthly aggregate (rows per unit-month, not per dossier): rebuilt every run.
{{ config(materialized='table', pre_hook="{{ disable_jit() }}") }}

with

{#- A month is computed for a province code only while a province with that code exists, and at district
    level only while the level exists (Resolution 202/2025/QH15): after 2025-06-30 code 27 (Bắc Ninh, merged
    into the new 24) has no unit to report on, and an open dossier of its portal is not counted on into July.
    Months left out with dossiers received or finished in them are reported by the warning test
    assert_no_dossier_activity_after_its_territory_ended. #}
unit_months as (

    select unit_months.*
    from {{ ref('int_dossiers_aggregated_to_unit_month') }} as unit_months
    cross join {{ ref('int_attainment_as_of') }} as levels
    where
        (unit_months.admin_level != 'district' or unit_months.period_start <= levels.district_level_end_date)
        and exists (
            select
            from {{ ref('dim_admin_unit') }} as provinces
            where
                provinces.level = 'province'
                and provinces.unit_code = unit_months.province_code
                and unit_months.period_start >= provinces.valid_from
                and (provinces.valid_to is null or unit_months.period_start <= provinces.valid_to)
        )

),

thresholds as (

    select * from {{ ref('thresholds_766') }}
    where indicator_code is not null  -- items the exports can feed; the others are listed in mart_766_items

),

province_level_months as (

    select
        province_code,
        '*' as unit_code,
        admin_level,
        period_start,
        sum(dossiers_received) as dossiers_received,
        sum(online_dossiers) as online_dossiers,
        sum(online_dossiers_766_strict) as online_dossiers_766_strict,
        sum(fee_bearing_dossiers) as fee_bearing_dossiers,
        sum(fee_bearing_dossiers_paid_online) as fee_bearing_dossiers_paid_online,
        sum(digitized_dossiers) as digitized_dossiers,
        sum(handled_dossiers) as handled_dossiers,
        sum(handled_dossiers_on_time) as handled_dossiers_on_time,
        sum(finished_dossiers) as finished_dossiers,
        sum(finished_dossiers_late) as finished_dossiers_late,
        sum(finished_dossiers_with_electronic_result) as finished_dossiers_with_electronic_result,
        sum(finished_dossiers_with_complaint_or_dislike) as finished_dossiers_with_complaint_or_dislike
    from unit_months
    group by province_code, admin_level, period_start

),

province_all_levels_months as (

    select
        province_code,
        '*' as unit_code,
        'all' as admin_level,
        period_start,
        sum(dossiers_received) as dossiers_received,
        sum(online_dossiers) as online_dossiers,
        sum(online_dossiers_766_strict) as online_dossiers_766_strict,
        sum(fee_bearing_dossiers) as fee_bearing_dossiers,
        sum(fee_bearing_dossiers_paid_online) as fee_bearing_dossiers_paid_online,
        sum(digitized_dossiers) as digitized_dossiers,
        sum(handled_dossiers) as handled_dossiers,
        sum(handled_dossiers_on_time) as handled_dossiers_on_time,
        sum(finished_dossiers) as finished_dossiers,
        sum(finished_dossiers_late) as finished_dossiers_late,
        sum(finished_dossiers_with_electronic_result) as finished_dossiers_with_electronic_result,
        sum(finished_dossiers_with_complaint_or_dislike) as finished_dossiers_with_complaint_or_dislike
    from unit_months
    group by province_code, period_start

),

counted as (

    select
        province_code,
        unit_code,
        admin_level,
        period_start,
        dossiers_received,
        online_dossiers,
        online_dossiers_766_strict,
        fee_bearing_dossiers,
        fee_bearing_dossiers_paid_online,
        digitized_dossiers,
        handled_dossiers,
        handled_dossiers_on_time,
        finished_dossiers,
        finished_dossiers_late,
        finished_dossiers_with_electronic_result,
        finished_dossiers_with_complaint_or_dislike
    from unit_months
    union all
    select * from province_level_months
    union all
    select * from province_all_levels_months

),

rates as (

    select
        counted.province_code,
        counted.unit_code,
        counted.admin_level,
        counted.period_start,
        indicators.indicator_code,
        indicators.method,
        indicators.numerator::numeric as numerator,
        indicators.denominator::numeric as denominator,
        round(100.0 * indicators.numerator / indicators.denominator, 2) as value,
        'percent' as unit
    from counted
    cross join
        lateral (
            values
            ('online_dossier_rate', 'plain', counted.online_dossiers, counted.dossiers_received),
            (
                'online_dossier_rate', '766_strict',
                counted.online_dossiers_766_strict, counted.dossiers_received
            ),
            ('on_time_rate', 'plain', counted.handled_dossiers_on_time, counted.handled_dossiers),
            (
                'online_payment_rate', 'plain',
                counted.fee_bearing_dossiers_paid_online, counted.fee_bearing_dossiers
            ),
            ('dossier_digitization_rate', 'plain', counted.digitized_dossiers, counted.dossiers_received),
            (
                'result_digitization_rate', 'plain',
                counted.finished_dossiers_with_electronic_result, counted.finished_dossiers
            ),
            -- 100 − (late rate + complaint-or-dislike rate), both over the dossiers finished in the month:
            -- a dossier late and complained about is subtracted twice, as the formula says; floored at 0.
            (
                'satisfaction_rate', 'plain',
                greatest(
                    counted.finished_dossiers
                    - counted.finished_dossiers_late
                    - counted.finished_dossiers_with_complaint_or_dislike,
                    0
                ),
                counted.finished_dossiers
            )
        ) as indicators (indicator_code, method, numerator, denominator)
    where indicators.denominator > 0

),

points as (

    select
        rates.province_code,
        rates.unit_code,
        rates.admin_level,
        rates.period_start,
        rates.indicator_code || '_points_766' as indicator_code,
        '766_threshold' as method,
        null::numeric as numerator,
        null::numeric as denominator,
        round(
            case
                -- an item without a threshold scores in proportion: rate (as a fraction) × M
                when thresholds.threshold_percent is null then rates.value * thresholds.max_points / 100
                when rates.value >= thresholds.threshold_percent then thresholds.max_points
                else rates.value * thresholds.max_points / thresholds.threshold_percent
            end,
            2
        ) as value,
        'points' as unit
    from rates
    inner join thresholds
        on
            rates.indicator_code = thresholds.indicator_code
            and rates.method = thresholds.rate_method

),

observations as (

    select * from rates
    union all
    select * from points

),

final as (

    select
        concat_ws(
            '|', 'computed', 'portal_dossiers', indicator_code, method, province_code, unit_code, admin_level,
            'month', to_char(period_start, 'YYYY-MM-DD')
        ) as observation_key,
        indicator_code,
        province_code,
        unit_code,
        admin_level,
        'month' as period_type,
        period_start,
        (period_start + interval '1 month' - interval '1 day')::date as period_end,
        numerator,
        denominator,
        value,
        unit,
        'computed' as source_kind,
        'portal_dossiers' as source,  -- noqa: RF04
        method,
        null::bigint as load_id,
        null::text as source_file
    from observations

)

select * from final
