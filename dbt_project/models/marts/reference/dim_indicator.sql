-- The indicator catalog for BI: every indicator and qualitative goal, with its pillar, unit and direction.

with

indicators as (

    select * from {{ ref('indicators') }}

),

final as (

    select
        indicator_code,
        name_vi,
        name_en,
        pillar,
        unit,
        direction,
        obtained_by,
        item_766,
        is_quantified,
        weight,
        description
    from indicators

)

select * from final
