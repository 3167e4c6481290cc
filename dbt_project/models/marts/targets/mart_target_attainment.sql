-- Where each target stands: its province's rate at the target's admin level over the latest month
-- with data, compared with the target. Rules are documented in _targets__models.yml.

with

targets as (

    select * from {{ ref('targets') }}

),

province_rates as (

    select * from {{ ref('fct_online_dossier_rate_monthly') }}
    -- Targets are province-wide; the strict 766 variant, once added, is compared separately.
    where grain = 'province' and method = 'plain'

),

latest_province_rates as (

    select distinct on (indicator_code, province_code, admin_level)
        indicator_code,
        province_code,
        admin_level,
        method,
        period_start,
        numerator,
        denominator,
        value
    from province_rates
    order by indicator_code asc, province_code asc, admin_level asc, period_start desc

),

compared as (

    select
        targets.target_id,
        targets.province_code,
        targets.province_name,
        targets.indicator_code,
        targets.admin_level,
        targets.deadline_year,
        targets.comparator,
        targets.target_value,
        targets.unit,
        targets.source_file,
        targets.source_quote,
        latest_province_rates.method as actual_method,
        latest_province_rates.period_start as actual_period_start,
        latest_province_rates.numerator as actual_numerator,
        latest_province_rates.denominator as actual_denominator,
        latest_province_rates.value as actual_value,
        latest_province_rates.value - targets.target_value as gap,
        case targets.comparator
            when '>=' then latest_province_rates.value >= targets.target_value
            when '>' then latest_province_rates.value > targets.target_value
            when '<=' then latest_province_rates.value <= targets.target_value
            when '<' then latest_province_rates.value < targets.target_value
            when '=' then latest_province_rates.value = targets.target_value
            -- "khoảng" (about): within 5% of the target value
            when '≈'
                then abs(latest_province_rates.value - targets.target_value)
                    <= 0.05 * abs(targets.target_value)
        end as is_met
    from targets
    left join latest_province_rates
        on
            targets.indicator_code = latest_province_rates.indicator_code
            and targets.province_code = latest_province_rates.province_code
            and targets.admin_level = latest_province_rates.admin_level

),

final as (

    select
        target_id,
        province_code,
        province_name,
        indicator_code,
        admin_level,
        deadline_year,
        comparator,
        target_value,
        unit,
        source_file,
        source_quote,
        actual_method,
        actual_period_start,
        actual_numerator,
        actual_denominator,
        actual_value,
        gap,
        case
            when actual_value is null then 'no_data'
            when is_met then 'achieved'
            else 'below_target'
        end as status
    from compared

)

select * from final
