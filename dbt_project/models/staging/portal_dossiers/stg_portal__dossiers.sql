-- One row per dossier version from published batches: typed, renamed, coded in English, its free text
-- made safe for BI. Vietnamese codes are compared in NFC because exports arrive in both NFC and NFD.

with

published_loads as (

    select load_id
    from {{ ref('stg_raw__load_audit') }}
    where is_published

),

source as (

    select *
    from {{ source('raw', 'portal_dossier') }}
    -- Loaded or quarantined batches have not passed the quality gate.
    where load_id in (select published_loads.load_id from published_loads)

),

normalized as (

    select
        load_id,
        source_row,
        province_code,
        -- free text of the export, made safe for BI (macro bi_safe_text, docs/marts.md): codes are
        -- never longer than 100 characters, names than 1,000
        {{ bi_safe_text('dossier_code', 100) }} as dossier_code,
        {{ bi_safe_text('procedure_code', 100) }} as procedure_code,
        {{ bi_safe_text('procedure_name', 1000) }} as procedure_name,
        {{ bi_safe_text('unit_code', 100) }} as unit_code,
        {{ bi_safe_text('unit_name', 1000) }} as unit_name,
        channel,
        received_at,
        due_at,
        finished_at,
        supplement_count,
        supplement_days,
        fee_vnd,
        online_payment,
        components_digitized,
        electronic_result,
        paper_result,
        complaint,
        updated_at,
        normalize(trim(service_level), nfc) as service_level_vi,
        normalize(trim(admin_level), nfc) as admin_level_vi,
        normalize(trim(status), nfc) as status_vi,
        normalize(trim(rating), nfc) as rating_vi
    from source

),

renamed as (

    select
        -- keys
        province_code,
        dossier_code,
        load_id,
        source_row,

        -- procedure and handling unit
        procedure_code,
        procedure_name,
        case service_level_vi
            when 'Toàn trình' then 'full_process'
            when 'Một phần' then 'partial'
            else 'not_online'
        end as online_service_level,
        unit_code,
        unit_name,
        case admin_level_vi
            when 'Tỉnh' then 'province'
            when 'Huyện' then 'district'
            when 'Xã' then 'commune'
        end as admin_level_code,

        -- submission
        coalesce(channel, 1)::smallint as channel,

        -- life cycle
        received_at,
        due_at,
        finished_at,
        case status_vi
            when 'Đã tiếp nhận' then 'received'
            when 'Đang xử lý' then 'in_process'
            when 'Chờ bổ sung' then 'awaiting_supplement'
            when 'Đã kết thúc' then 'finished'
            when 'Đã trả kết quả' then 'result_returned'
            when 'Đã rút' then 'withdrawn'
        end as dossier_status,
        coalesce(supplement_count, 0) as supplement_count,
        coalesce(supplement_days, 0) as supplement_days,

        -- fees, digitization, feedback
        coalesce(fee_vnd, 0) as fee_vnd,
        online_payment,
        coalesce(components_digitized = 1, false) as is_components_digitized,
        coalesce(electronic_result = 1, false) as has_electronic_result,
        coalesce(paper_result = 1, false) as has_paper_result,
        case rating_vi
            when 'Hài lòng' then 'satisfied'
            when 'Bình thường' then 'neutral'
            when 'Không hài lòng' then 'dissatisfied'
        end as rating,
        coalesce(complaint = 1, false) as has_complaint,

        updated_at
    from normalized

),

final as (

    select
        *,
        channel = 2 as is_online,
        dossier_status in ('finished', 'result_returned') as is_finished,
        dossier_status = 'withdrawn' as is_withdrawn,
        fee_vnd > 0 as is_fee_bearing,
        coalesce(online_payment in (1, 2), false) as is_paid_online
    from renamed

)

select * from final
