{#-
    The order of a dossier's versions, the one rule wherever versions are ranked or compared
    (int_dossier_versions_deduplicated, int_dossier_versions_pending, fct_dossier's incremental merge).
    Written down in docs/indicators.md ("Which version of a dossier counts").

    `Ngày cập nhật` may come without a time (stored as midnight), so within one day the time cannot be
    trusted to say which version is later; the dossier's life cycle can. A version is later when, in turn:
      1. its updated_at falls on a later day;
      2. its status is further along the life cycle (dossier_life_cycle_stage);
      3. more requests for supplements were made (they only ever add up);
      4. it has a finish time and the other none, or a later one;
      5. its updated_at is later (the time of day; a date alone counts as midnight);
      6. it came in a later load, then a later file row: only when the content cannot tell.
    A total order on each version's own columns, so the full build's ranking and the incremental merge's
    row comparison (dossier_version_sort_key('a') > dossier_version_sort_key('b')) always agree.
-#}
{% macro dossier_version_sort_columns(alias) -%}
    {%- set c = alias ~ '.' if alias else '' -%}
    {{ return([
        c ~ 'updated_at::date',
        dossier_life_cycle_stage(c ~ 'dossier_status'),
        'coalesce(' ~ c ~ 'supplement_count, 0)',
        'coalesce(' ~ c ~ "finished_at, '-infinity'::timestamp)",
        c ~ 'updated_at',
        c ~ 'load_id',
        c ~ 'source_row',
    ]) }}
{%- endmacro %}

{#- The key as a row value, for comparing two versions: (key of one) > (key of the other). -#}
{% macro dossier_version_sort_key(alias) -%}
    ({{ dossier_version_sort_columns(alias) | join(', ') }})
{%- endmacro %}

{#- The key latest first, for the `order by` of a window. -#}
{% macro dossier_version_order_desc(alias) -%}
    {{ dossier_version_sort_columns(alias) | join(' desc, ') }} desc
{%- endmacro %}

{#-
    How far along its life cycle a version is: received (1) < in process or awaiting supplements (2;
    a dossier goes back and forth between the two) < finished or withdrawn (3; both end the handling)
    < result returned (4).
-#}
{% macro dossier_life_cycle_stage(status) -%}
    case {{ status }}
        when 'received' then 1
        when 'in_process' then 2
        when 'awaiting_supplement' then 2
        when 'finished' then 3
        when 'withdrawn' then 3
        when 'result_returned' then 4
        else 0
    end
{%- endmacro %}
