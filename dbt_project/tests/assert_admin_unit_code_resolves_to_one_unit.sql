-- A code, a level and a date resolve to at most one unit: no two units with the same code and level
-- have overlapping validity, and no unit ends before it starts.

with

units as (

    select * from {{ ref('dim_admin_unit') }}

),

overlapping as (

    select
        earlier.unit_key,
        later.unit_key as other_unit_key
    from units as earlier
    inner join units as later
        on
            earlier.unit_code = later.unit_code
            and earlier.level = later.level
            and earlier.unit_key < later.unit_key
            and daterange(earlier.valid_from, earlier.valid_to, '[]')
            && daterange(later.valid_from, later.valid_to, '[]')

),

inverted as (

    select
        unit_key,
        null as other_unit_key
    from units
    where valid_to < valid_from

)

select * from overlapping
union all
select * from inverted
