-- Status follows actual_value, comparator and target_value; gap is actual minus target.

with

attainment as (

    select * from {{ ref('mart_target_attainment') }}

),

inconsistent as (

    select *
    from attainment
    where
        (status = 'no_data') != (actual_value is null)
        or (status = 'achieved' and gap < 0 and comparator in ('>=', '>'))
        or (status = 'below_target' and gap >= 0 and comparator = '>=')
        or gap is distinct from actual_value - target_value
        or actual_value < 0
        or actual_value > 100
        or actual_numerator > actual_denominator

)

select * from inconsistent
