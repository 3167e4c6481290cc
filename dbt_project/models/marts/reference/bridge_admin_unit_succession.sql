-- Every unit that has a current successor, mapped to it by following successions transitively, plus one
-- identity row (hops 0) per current unit, so any unit key joins to the unit that holds its territory now.
-- Units whose level was abolished (districts) have no row.

with recursive

units as (

    select * from {{ ref('admin_units') }}

),

successions as (

    select * from {{ ref('admin_unit_successions') }}

),

chains as (

    select
        predecessor_unit_key,
        successor_unit_key,
        effective_date as first_effective_date,
        effective_date as last_effective_date,
        1 as hops
    from successions

    union all

    select
        chains.predecessor_unit_key,
        successions.successor_unit_key,
        chains.first_effective_date,
        successions.effective_date as last_effective_date,
        chains.hops + 1 as hops
    from chains
    inner join successions
        on chains.successor_unit_key = successions.predecessor_unit_key
    -- A cycle would be a data error; the bound stops the recursion and the tests catch it.
    where chains.hops < 20

),

current_units as (

    select * from units
    where valid_to is null

),

to_current as (

    select chains.*
    from chains
    inner join current_units
        on chains.successor_unit_key = current_units.unit_key

),

identities as (

    select
        unit_key as predecessor_unit_key,
        unit_key as successor_unit_key,
        null::date as first_effective_date,
        null::date as last_effective_date,
        0 as hops
    from current_units

),

unioned as (

    select * from to_current
    union all
    select * from identities

),

predecessor_counts as (

    select
        successor_unit_key,
        count(*) as predecessor_count
    from to_current
    group by successor_unit_key

),

final as (

    select
        unioned.predecessor_unit_key,
        predecessors.unit_code as predecessor_unit_code,
        predecessors.name_vi as predecessor_name_vi,
        predecessors.level as predecessor_level,
        predecessors.valid_to as predecessor_valid_to,
        unioned.successor_unit_key,
        successors.unit_code as successor_unit_code,
        successors.name_vi as successor_name_vi,
        unioned.first_effective_date as effective_date,
        unioned.hops,
        coalesce(predecessor_counts.predecessor_count, 0) as successor_predecessor_count,
        coalesce(predecessor_counts.predecessor_count, 0) > 1 as is_merger
    from unioned
    inner join units as predecessors
        on unioned.predecessor_unit_key = predecessors.unit_key
    inner join units as successors
        on unioned.successor_unit_key = successors.unit_key
    left join predecessor_counts
        on unioned.successor_unit_key = predecessor_counts.successor_unit_key

)

select * from final
