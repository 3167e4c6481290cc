-- Every indicator observation in one long table: one row per indicator × territory/unit × admin level ×
-- period × source × method. Each source has its own model with the columns of
-- indicator_observation_columns(); to add one (agency reports, portal-published figures, seed
-- documents), append its model to observation_models.
{%- set observation_models = [
    'int_dossier_indicators_computed',
    'int_agency_report_values_current',
    'int_published_766_values',
    'stg_documents__observations',
] %}

with

unioned as (

    {% for model_name in observation_models -%}
        select {{ indicator_observation_columns() }}
        from {{ ref(model_name) }}
        {%- if not loop.last %}
            union all
        {% endif -%}
    {%- endfor %}

)

select * from unioned
