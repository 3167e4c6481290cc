{#-
    Pre-hook for heavy portal models: switch PostgreSQL's JIT compiler off for the model's transaction.
    Their plans expand each dossier into its months with generate_series, whose row estimate (1000 per
    call) inflates the plan cost past the JIT thresholds; compiling then takes seconds, far longer than
    the query itself (e.g. 2.2 s instead of 0.1 s for a nightly aggregation of 300 000 dossiers).
    SET LOCAL lasts until the end of the transaction in which dbt builds the model.
-#}
{% macro disable_jit() %}
    set local jit = off
{% endmacro %}
