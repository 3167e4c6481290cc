{#-
    BI tools read the marts through one role and nothing else: it gets usage on the marts schema
    and select on its tables (now and future ones), and no grant anywhere else.
    The role is created when missing; on a shared warehouse, create it beforehand if dbt's user
    may not create roles.
-#}
{#- One block, one transaction, under an advisory lock: dbt tasks that run at once (one per model under
    Airflow) would otherwise update the same catalog rows together ("tuple concurrently updated"). -#}
{% macro grant_bi_access() %}
    {% set role = var('bi_role', 'bi_reader') %}
    {% if execute %}
        do $$
        begin
            perform pg_advisory_xact_lock(hashtext('cds_warehouse.roles_and_grants'));
            if not exists (select from pg_roles where rolname = '{{ role }}') then
                create role {{ role }} nologin;
            end if;
            create schema if not exists marts;
            grant usage on schema marts to {{ role }};
            grant select on all tables in schema marts to {{ role }};
            alter default privileges in schema marts grant select on tables to {{ role }};
        end
        $$;
    {% endif %}
{% endmacro %}
