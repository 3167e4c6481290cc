-- Rates are percentages of a non-empty denominator: 0 <= value <= 100 and numerator <= denominator.

with

rates as (

    select * from {{ ref('fct_online_dossier_rate_monthly') }}

),

out_of_bounds as (

    select *
    from rates
    where
        denominator <= 0
        or numerator < 0
        or numerator > denominator
        or value < 0
        or value > 100
        or value is null

)

select * from out_of_bounds
