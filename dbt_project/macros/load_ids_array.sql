{#-
    The load ids a query returns, run when the model (or test) executes, as an array literal:
    '{4,5}'::bigint[] (an empty array while dbt only parses). Filters on the loads of a run use it instead
    of a subquery: a subquery's result is unknown to the planner, which then estimates a share of the whole
    history (few loads, each large) and scans all of it; with the literal it estimates each load from the
    statistics (the loaders ANALYZE after each batch) and reads the new rows through the load_id index.
-#}
{% macro load_ids_array(query) %}
    {%- if not execute -%}
        {{ return("'{}'::bigint[]") }}
    {%- endif -%}
    {%- set load_ids = run_query(query).columns[0].values() | reject('none') | map('int') | map('string') | list -%}
    {{ return("'{" ~ load_ids | join(',') ~ "}'::bigint[]") }}
{% endmacro %}
