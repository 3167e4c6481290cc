-- Dossiers with a finished status (Đã kết thúc, Đã trả kết quả) but no finish time (Ngày kết thúc xử lý).
-- The indicators count them as finished at their last update (updated_at), the nearest time the export
-- gives (docs/indicators.md): the month they are counted in and their on-time judgement rest on it. A
-- warning: the night goes on, and the rows name the province, level and month, and how many, to take up
-- with the portal. Incremental runs look at the loads they bring, a full build at every dossier.
{{ config(severity='warn') }}

with

dossiers as (

    select * from {{ ref('fct_dossier') }}
    {%- if processed_portal_loads_relation() is not none %}
        where load_id = any({{ load_ids_array(portal_loads_of_this_run()) }})
    {%- endif %}

)

select
    province_code,
    admin_level_code,
    counted_to_month,
    count(*) as finished_dossiers_without_finish_time
from dossiers
where is_finished and finished_at is null
group by province_code, admin_level_code, counted_to_month
