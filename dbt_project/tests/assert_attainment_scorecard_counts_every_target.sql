-- mart_province_scorecard counts every target of the seed once, in its status, and its weighted sums and
-- score follow from mart_target_attainment and the catalog weights.

with

scorecard as (

    select * from {{ ref('mart_province_scorecard') }}

),

attainment as (

    select * from {{ ref('mart_target_attainment') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

targets as (

    select * from {{ ref('targets') }}

),

expected as (

    select
        attainment.province_code,
        attainment.pillar,
        attainment.deadline_year,
        count(*) as targets_count,
        count(*) filter (where attainment.status in ('achieved', 'on_track')) as good_count,
        coalesce(sum(indicators.weight) filter (where attainment.status in ('achieved', 'on_track')), 0)
            as weight_good,
        coalesce(sum(indicators.weight) filter (
            where attainment.status in ('achieved', 'on_track', 'at_risk', 'off_track', 'missed')
        ), 0) as weight_with_data
    from attainment
    inner join indicators
        on attainment.indicator_code = indicators.indicator_code
    group by attainment.province_code, attainment.pillar, attainment.deadline_year

),

mismatched_groups as (

    select scorecard.scorecard_key
    from scorecard
    full outer join expected
        on
            scorecard.province_code = expected.province_code
            and scorecard.pillar = expected.pillar
            and scorecard.deadline_year = expected.deadline_year
    where
        scorecard.scorecard_key is null
        or expected.province_code is null
        or scorecard.targets_count != expected.targets_count
        or scorecard.achieved_count + scorecard.on_track_count != expected.good_count
        or scorecard.targets_count
        != scorecard.achieved_count + scorecard.on_track_count + scorecard.at_risk_count
        + scorecard.off_track_count + scorecard.missed_count + scorecard.no_data_count
        + scorecard.no_data_at_deadline_count + scorecard.not_enough_data_count
        or scorecard.with_data_count
        != scorecard.targets_count - scorecard.no_data_count - scorecard.no_data_at_deadline_count
        - scorecard.not_enough_data_count
        or scorecard.weight_achieved + scorecard.weight_on_track != expected.weight_good
        or scorecard.weight_with_data != expected.weight_with_data
        or scorecard.score_percent
        is distinct from round(100 * expected.weight_good / nullif(expected.weight_with_data, 0), 1)

),

totals as (

    select 'total' as scorecard_key
    where
        (select coalesce(sum(targets_count), 0) from scorecard) != (select count(*) from targets)
        or (select count(*) from attainment) != (select count(*) from targets)

)

select * from mismatched_groups
union all
select * from totals
