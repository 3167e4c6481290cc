{#-
    The columns of marts.fct_indicator_observation, in order and with their types. Every model unioned
    into it selects exactly these (see fct_indicator_observation.sql); a new source of observations
    provides them all, null where they do not apply.
-#}
{% macro indicator_observation_columns() %}
    observation_key::text as observation_key,
    indicator_code::text as indicator_code,
    province_code::text as province_code,
    unit_code::text as unit_code,
    admin_level::text as admin_level,
    period_type::text as period_type,
    period_start::date as period_start,
    period_end::date as period_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    value::numeric as value,
    unit::text as unit,
    source_kind::text as source_kind,
    source::text as source,
    method::text as method,
    load_id::bigint as load_id,
    source_file::text as source_file
{%- endmacro %}
