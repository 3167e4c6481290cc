-- Targets per province (as set in the targets: Bắc Ninh 27, Bắc Kạn 06, Nghệ An 40, Việt Nam VN), pillar
-- and deadline year: how many there are, how many in each status, the same weighted by the catalog
-- weight, and a score. A target is judged when its status is achieved, on_track, at_risk, off_track or
-- missed; no_data, no_data_at_deadline (the data stop before a passed deadline) and not_enough_data (one
-- figure far from the deadline) are not. score_percent = 100 × weight of targets achieved or on track /
-- weight of judged targets, 1 decimal; null when no target of the group is judged.
-- data_coverage_percent = 100 × weight of judged targets / weight of all targets.

{%- set judged = "('achieved', 'on_track', 'at_risk', 'off_track', 'missed')" %}

with

attainment as (

    select * from {{ ref('mart_target_attainment') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

weighted as (

    select
        attainment.province_code,
        attainment.province_name,
        attainment.pillar,
        attainment.deadline_year,
        attainment.as_of_date,
        attainment.status,
        indicators.weight
    from attainment
    inner join indicators
        on attainment.indicator_code = indicators.indicator_code

),

grouped as (

    select
        province_code,
        province_name,
        pillar,
        deadline_year,
        max(as_of_date) as as_of_date,
        count(*) as targets_count,
        count(*) filter (where status = 'achieved') as achieved_count,
        count(*) filter (where status = 'on_track') as on_track_count,
        count(*) filter (where status = 'at_risk') as at_risk_count,
        count(*) filter (where status = 'off_track') as off_track_count,
        count(*) filter (where status = 'missed') as missed_count,
        count(*) filter (where status = 'no_data') as no_data_count,
        count(*) filter (where status = 'no_data_at_deadline') as no_data_at_deadline_count,
        count(*) filter (where status = 'not_enough_data') as not_enough_data_count,
        count(*) filter (where status in {{ judged }}) as with_data_count,
        sum(weight) as weight_total,
        coalesce(sum(weight) filter (where status = 'achieved'), 0) as weight_achieved,
        coalesce(sum(weight) filter (where status = 'on_track'), 0) as weight_on_track,
        coalesce(sum(weight) filter (where status = 'at_risk'), 0) as weight_at_risk,
        coalesce(sum(weight) filter (where status = 'off_track'), 0) as weight_off_track,
        coalesce(sum(weight) filter (where status = 'missed'), 0) as weight_missed,
        coalesce(sum(weight) filter (where status = 'no_data'), 0) as weight_no_data,
        coalesce(sum(weight) filter (where status in {{ judged }}), 0) as weight_with_data
    from weighted
    group by province_code, province_name, pillar, deadline_year

),

final as (

    select
        concat_ws('|', province_code, pillar, deadline_year)::text as scorecard_key,
        province_code::text as province_code,
        province_name::text as province_name,
        pillar::text as pillar,
        deadline_year::integer as deadline_year,
        as_of_date::date as as_of_date,
        targets_count::integer as targets_count,
        achieved_count::integer as achieved_count,
        on_track_count::integer as on_track_count,
        at_risk_count::integer as at_risk_count,
        off_track_count::integer as off_track_count,
        missed_count::integer as missed_count,
        no_data_count::integer as no_data_count,
        no_data_at_deadline_count::integer as no_data_at_deadline_count,
        not_enough_data_count::integer as not_enough_data_count,
        with_data_count::integer as with_data_count,
        weight_total::numeric(12, 2) as weight_total,
        weight_achieved::numeric(12, 2) as weight_achieved,
        weight_on_track::numeric(12, 2) as weight_on_track,
        weight_at_risk::numeric(12, 2) as weight_at_risk,
        weight_off_track::numeric(12, 2) as weight_off_track,
        weight_missed::numeric(12, 2) as weight_missed,
        weight_no_data::numeric(12, 2) as weight_no_data,
        weight_with_data::numeric(12, 2) as weight_with_data,
        round(100 * (weight_achieved + weight_on_track) / nullif(weight_with_data, 0), 1)::numeric(4, 1)
            as score_percent,
        round(100 * weight_with_data / nullif(weight_total, 0), 1)::numeric(4, 1) as data_coverage_percent
    from grouped

)

select * from final
