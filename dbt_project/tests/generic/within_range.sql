{#-
    Generic test: every non-null value of the column lies in [min_value, max_value] (either bound may be
    omitted: a comparison with null is never true). Restrict the rows with the test's `where` config, e.g.
    where: "unit = 'percent'".
-#}
{% test within_range(model, column_name, min_value=none, max_value=none) %}

    select *
    from {{ model }}
    where
        {{ column_name }} < {{ 'null' if min_value is none else min_value }}
        or {{ column_name }} > {{ 'null' if max_value is none else max_value }}

{% endtest %}
