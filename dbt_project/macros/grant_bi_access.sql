{#-
    The BI contract (docs/marts.md, "What BI tools may read"): BI tools read the marts through one role and
    nothing else. It gets usage on the marts schema and select on its tables (now and future ones), except
    the models marked `meta: {bi_contract: false}` (fct_dossier: one row per dossier), and no grant anywhere
    else. The role is created when missing; on a shared warehouse, create it beforehand if dbt's user may
    not create roles.
-#}
{#- One block, one transaction, under an advisory lock: dbt tasks that run at once (one per model under
    Airflow) would otherwise update the same catalog rows together ("tuple concurrently updated"). The
    lock is exclusive here and shared in every build or drop of a marts relation (wait_for_bi_grants): a
    grant on all the schema's tables fails the same way when a table is renamed or dropped under it. -#}
{% macro grant_bi_access() %}
    {% set role = var('bi_role', 'bi_reader') %}
    {% if execute %}
        do $$
        begin
            perform pg_advisory_xact_lock({{ bi_grants_lock_key() }});
            begin  -- roles belong to the server: another database may create it at the same moment
                if not exists (select from pg_roles where rolname = '{{ role }}') then
                    create role {{ role }} nologin;
                end if;
            exception when duplicate_object or unique_violation then null;
            end;
            create schema if not exists marts;
            grant usage on schema marts to {{ role }};
            grant select on all tables in schema marts to {{ role }};
            alter default privileges in schema marts grant select on tables to {{ role }};
            {%- for relation in relations_outside_bi_contract() %}
            if to_regclass('{{ relation }}') is not null then
                revoke all on {{ relation }} from {{ role }};
            end if;
            {%- endfor %}
        end
        $$;
    {% endif %}
{% endmacro %}

{#- The models of the marts schema that BI may not read: `meta: {bi_contract: false}` in their YAML. -#}
{% macro relations_outside_bi_contract() %}
    {%- set relations = [] -%}
    {%- for node in graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        if node.config.meta.get('bi_contract', true) is false -%}
        {%- do relations.append(api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias
        )) -%}
    {%- endfor -%}
    {{ return(relations) }}
{% endmacro %}

{#-
    Post-hook of a model outside the BI contract: the default privileges of the marts schema grant select
    on every new table to the BI role; this takes it back in the transaction that builds the table, so
    no BI login ever reads it, not even between the build and the end of the run.
-#}
{% macro revoke_bi_access(relation) %}
    {% set role = var('bi_role', 'bi_reader') %}
    do $$
    begin
        if exists (select from pg_roles where rolname = '{{ role }}') then
            revoke all on {{ relation }} from {{ role }};
        end if;
    end
    $$
{% endmacro %}

{#- Pre-hook of every marts model (dbt_project.yml) and part of every drop (drop_relation.sql): the grants
    of grant_bi_access() wait for the builds under way, and the builds (among themselves concurrent) for
    the grants; held until the node's transaction ends. -#}
{% macro wait_for_bi_grants() %}
    select pg_advisory_xact_lock_shared({{ bi_grants_lock_key() }})
{% endmacro %}

{#- The same key as cds_warehouse.setup, which creates the role and the default privileges. -#}
{% macro bi_grants_lock_key() %}hashtext('cds_warehouse.roles_and_grants'){% endmacro %}
