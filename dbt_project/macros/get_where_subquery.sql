{#-
    Tests of the portal's history-sized relations (raw.portal_dossier, stg_portal__dossiers, fct_dossier)
    carry `where: "load_id = any(__portal_loads_of_this_run__)"` (set by folder in dbt_project.yml), so a
    nightly run tests the rows it brings instead of rescanning every version ever loaded. The marker is
    resolved here, when the test runs, into an array of load ids:
      * incremental run: the published portal loads no earlier dbt invocation has processed, i.e. the
        loads this invocation reads (int_portal_loads_processed records the invocation that processed
        each load, so the set is the same before and after that model is built in this run);
      * --full-refresh and first run: no filter at all, every row is tested.
    Uniqueness across the whole history does not rest on these tests: fct_dossier has a unique index on
    dossier_key, enforced by PostgreSQL on every merge.
    Any other where config is applied as dbt does by default.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- set marker = '__portal_loads_of_this_run__' -%}
    {%- if marker in where -%}
        {%- if processed_portal_loads_relation() is none -%}
            {%- do return(relation) -%}
        {%- endif -%}
        {%- set where = where | replace(marker, load_ids_array(portal_loads_of_this_run())) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
