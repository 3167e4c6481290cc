-- Administrative units with their validity: a unit is a code plus a period, never a code alone.
-- One row per unit_key; resolve a (code, level, date) with valid_from <= date and (valid_to is null or
-- date <= valid_to).

with

units as (

    select * from {{ ref('admin_units') }}

),

final as (

    select
        units.unit_key,
        units.unit_code,
        units.name_vi,
        units.level,
        units.parent_unit_key,
        parents.unit_code as parent_unit_code,
        parents.name_vi as parent_name_vi,
        units.valid_from,
        units.valid_to,
        units.valid_to is null as is_current
    from units
    left join units as parents
        on units.parent_unit_key = parents.unit_key

)

select * from final
