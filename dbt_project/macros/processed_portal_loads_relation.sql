{#-
    The bookkeeping table int_portal_loads_processed as the previous run left it: the portal loads whose
    dossier versions are already in fct_dossier and int_dossiers_aggregated_to_unit_month. Returns none
    when dbt is only parsing, on --full-refresh (everything is recomputed from all published loads) and
    when the table does not exist yet (first run).

    The table is built at the END of the portal chain, so the models at its start (int_portal_loads_pending,
    int_portal_as_of) cannot ref() it without a cycle; they read the previous run's state through this
    macro instead. That is intended: a load is recorded as processed only after every model that consumes
    it has been built and tested, so a failed run leaves its loads pending and the next run redoes them.
-#}
{% macro processed_portal_loads_relation() %}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', 'int_portal_loads_processed')
        | first -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}
