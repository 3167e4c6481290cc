-- One row per dossier in its current state (latest published version).

with

dossiers as (

    select * from {{ ref('int_dossier_versions_deduplicated') }}

),

final as (

    select
        province_code || '-' || dossier_code as dossier_key,
        province_code,
        dossier_code,
        procedure_code,
        procedure_name,
        online_service_level,
        unit_code,
        unit_name,
        admin_level_code,
        channel,
        is_online,
        received_at,
        due_at,
        finished_at,
        dossier_status,
        is_finished,
        is_withdrawn,
        supplement_count,
        supplement_days,
        fee_vnd,
        is_fee_bearing,
        online_payment,
        is_paid_online,
        is_components_digitized,
        has_electronic_result,
        has_paper_result,
        rating,
        has_complaint,
        updated_at,
        load_id
    from dossiers

)

select * from final
