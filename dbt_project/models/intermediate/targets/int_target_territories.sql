-- Each target with the territory it is evaluated on and the dates that frame its evaluation.
-- home unit: the province unit the target's code meant when it was set. Every target of the seeds was
--   set before the 2025 reorganization, so it is the earliest unit with that code (27 → Bắc Ninh
--   2008–2025, 24 → Bắc Giang, never the new Bắc Ninh). National targets ('VN') have no unit.
-- successor unit: the current unit that holds the home unit's territory now (bridge_admin_unit_succession),
--   when it is another unit; observations of it (after the reorganization) evaluate the target, each
--   target on its own: targets of two merged provinces are never added together. District targets have
--   no successor: the level was abolished.
-- deadline_date: 31 December of deadline_year. evaluation_end_date: the deadline, or for a district target
--   the last day of the district level when that comes first. observation_cutoff_date: the last day an
--   observation may end on to count: as_of_date, or evaluation_end_date when that comes first (a target
--   is judged on where it stood by its deadline; a passed deadline is not re-judged on later figures).
-- evaluation unit: the successor once observation_cutoff_date is past the home unit's last day, else the
--   home unit, whether or not figures exist (evaluated_on_successor: that successor came from a merger).
-- is_deadline_passed: evaluation_end_date is before as_of_date (the target is judged, not projected).

-- Ephemeral: compiled into each model that reads it, in the same dbt invocation, so the nightly build's
-- as_of_date (the run's evaluation date) reaches every relation it rebuilds; a view built once by
-- portal_inputs would keep the date of that build.
{{ config(materialized='ephemeral') }}

with

targets as (

    select * from {{ ref('targets') }}

),

as_of as (

    select * from {{ ref('int_attainment_as_of') }}

),

provinces as (

    select * from {{ ref('dim_admin_unit') }}
    where level = 'province'

),

successions as (

    select * from {{ ref('bridge_admin_unit_succession') }}

),

home_units as (

    select distinct on (unit_code)
        unit_code,
        unit_key,
        name_vi,
        valid_to
    from provinces
    order by unit_code asc, valid_from asc

),

framed as (

    select
        targets.target_id,
        targets.province_code,
        targets.admin_level,
        targets.deadline_year,
        targets.target_year_kind,
        as_of.as_of_date,
        as_of.district_level_end_date,
        make_date(targets.deadline_year, 12, 31) as deadline_date,
        home_units.unit_key as home_unit_key,
        home_units.name_vi as home_unit_name,
        home_units.valid_to as home_unit_valid_to,
        case
            when
                targets.admin_level != 'district'
                and successions.successor_unit_key != home_units.unit_key
                then successions.successor_unit_key
        end as successor_unit_key,
        case
            when
                targets.admin_level != 'district'
                and successions.successor_unit_key != home_units.unit_key
                then successions.successor_unit_code
        end as successor_unit_code,
        case
            when
                targets.admin_level != 'district'
                and successions.successor_unit_key != home_units.unit_key
                then successions.successor_name_vi
        end as successor_unit_name,
        case
            when
                targets.admin_level != 'district'
                and successions.successor_unit_key != home_units.unit_key
                then successions.is_merger
        end as successor_is_merger
    from targets
    cross join as_of
    left join home_units
        on targets.province_code = home_units.unit_code
    left join successions
        on home_units.unit_key = successions.predecessor_unit_key

),

cut_off as (

    select
        *,
        case
            when admin_level = 'district' then least(deadline_date, district_level_end_date)
            else deadline_date
        end as evaluation_end_date,
        least(
            as_of_date,
            case
                when admin_level = 'district' then least(deadline_date, district_level_end_date)
                else deadline_date
            end
        ) as observation_cutoff_date
    from framed

),

-- The territory depends on the cutoff alone, never on which figures exist: once the cutoff is past the
-- home unit's last day, every target with a successor is evaluated on it (its latest figure may still be
-- the home unit's own, from before the merger).
placed as (

    select
        *,
        coalesce(successor_unit_key is not null and observation_cutoff_date > home_unit_valid_to, false)
            as is_on_successor_unit
    from cut_off

),

final as (

    select
        *,
        case when is_on_successor_unit then successor_unit_key else home_unit_key end as evaluation_unit_key,
        case
            when is_on_successor_unit then successor_unit_code else province_code
        end as evaluation_province_code,
        case
            when is_on_successor_unit then successor_unit_name
            when province_code = 'VN' then 'Việt Nam'
            else home_unit_name
        end as evaluation_province_name,
        coalesce(is_on_successor_unit and successor_is_merger, false) as evaluated_on_successor,
        evaluation_end_date < as_of_date as is_deadline_passed
    from placed

)

select * from final
