-- The Vietnamese and English labels of the coded values the marts hold, for BI tools to join on.

with

code_labels as (

    select * from {{ ref('code_labels') }}

),

final as (

    select
        code_type,
        code,
        label_vi,
        label_en
    from code_labels

)

select * from final
