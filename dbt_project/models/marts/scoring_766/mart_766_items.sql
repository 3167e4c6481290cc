-- The items of Decision 766/QĐ-TTg's index as the warehouse scores them: one row per item of the seed
-- thresholds_766 (and one per group for the items it cannot compute), with the threshold and maximum, how
-- sure each figure is, how the item's points are established (scoring_basis) and, for an item not
-- computed, the input it needs. The points rows of mart_indicator_timeseries carry the same scoring_basis.

with

items as (

    select * from {{ ref('thresholds_766') }}

),

groups (item_group, group_name_vi, group_max_points) as (

    values
    (1, 'Công khai, minh bạch', 18),
    (2, 'Tiến độ, kết quả giải quyết', 20),
    (3, 'Cung cấp dịch vụ trực tuyến', 22),
    (4, 'Số hóa hồ sơ', 22),
    (5, 'Mức độ hài lòng', 18)

),

final as (

    select
        items.item_code::text as item_code,
        items.item_group::integer as item_group,
        groups.group_name_vi::text as group_name_vi,
        groups.group_max_points::numeric(6, 2) as group_max_points,
        items.item_name_vi::text as item_name_vi,
        items.indicator_code::text as indicator_code,
        (items.indicator_code || '_points_766')::text as points_indicator_code,
        items.rate_method::text as rate_method,
        items.threshold_percent::numeric(6, 2) as threshold_percent,
        items.max_points::numeric(6, 2) as max_points,
        items.threshold_confidence::text as threshold_confidence,
        items.max_points_confidence::text as max_points_confidence,
        items.scoring_basis::text as scoring_basis,
        (items.scoring_basis != 'not_computed')::boolean as is_computed,
        items.needed_input::text as needed_input,
        items.source_note::text as source_note
    from items
    inner join groups
        on items.item_group = groups.item_group

)

select * from final
