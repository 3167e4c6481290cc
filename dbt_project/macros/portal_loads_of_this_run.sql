{#-
    SQL returning the published portal loads that no earlier dbt invocation has processed: the loads the
    current invocation reads. The same set before and after int_portal_loads_processed is built in this
    run, since that model records the invocation that processed each load. Every published load on
    --full-refresh and on the first run (processed_portal_loads_relation returns none then).
    The relation of raw.load_audit is looked up rather than source()d: tests may only call source() for
    the relations they were parsed with.
-#}
{% macro portal_loads_of_this_run() %}
    {%- if not execute -%}
        {{ return('select null::bigint as load_id where false') }}
    {%- endif -%}
    {%- set processed = processed_portal_loads_relation() -%}
    {%- set audit_node = graph.sources.values()
        | selectattr('source_name', 'equalto', 'raw')
        | selectattr('name', 'equalto', 'load_audit')
        | first -%}
    {%- set audit = api.Relation.create(
        database=audit_node.database, schema=audit_node.schema, identifier=audit_node.identifier
    ) -%}
    {%- set query -%}
        select audit.load_id from {{ audit }} as audit where audit.status = 'published'
        {%- if processed is not none %}
            and audit.load_id not in (
                select earlier.load_id from {{ processed }} as earlier
                where earlier.dbt_invocation_id <> '{{ invocation_id }}'
            )
        {%- endif %}
    {%- endset -%}
    {{ return(query) }}
{% endmacro %}
