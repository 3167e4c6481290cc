-- Online dossier rate per handling unit, admin level and month received (plain variant:
-- online dossiers over all dossiers received, withdrawn ones included; no paper-result rule).

with

dossiers as (

    select * from {{ ref('int_dossier_versions_deduplicated') }}

),

aggregated as (

    select
        province_code,
        unit_code,
        admin_level_code as admin_level,
        date_trunc('month', received_at)::date as period_start,
        count(*) as dossiers_received,
        count(*) filter (where is_online) as online_dossiers
    from dossiers
    group by province_code, unit_code, admin_level_code, date_trunc('month', received_at)::date

),

final as (

    select
        *,
        'plain' as online_dossier_rate_method,
        round(100.0 * online_dossiers / dossiers_received, 2)::numeric(5, 2) as online_dossier_rate
    from aggregated

)

select * from final
