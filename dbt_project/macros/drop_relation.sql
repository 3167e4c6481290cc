{#-
    dbt's drop of a relation, serialised. Seeds are rebuilt by dropping them with CASCADE, which drops the
    views built on them, and two seeds dropped at the same time on dbt's two threads each lock the views
    that depend on both (the agency-report views read indicators and indicator_aliases) in their own
    order: PostgreSQL then kills one drop as a deadlock and the build fails. A transaction-level advisory
    lock taken before each drop makes them wait for one another instead; it is released at the commit
    that ends the node's build. A drop also waits for the BI grants under way (grant_bi_access.sql).
-#}
{% macro postgres__drop_relation(relation) -%}
    {% call statement('drop_relation', auto_begin=False) -%}
        select pg_advisory_xact_lock(hashtext('cds_warehouse: drop relation'));
        {{ wait_for_bi_grants() }};
        {{ get_drop_sql(relation) }}
    {%- endcall %}
{%- endmacro %}
