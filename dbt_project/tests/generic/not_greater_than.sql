{#-
    Generic test: the column never exceeds other_column on the same row (rows where either is null pass),
    e.g. numerator <= denominator.
-#}
{% test not_greater_than(model, column_name, other_column) %}

    select *
    from {{ model }}
    where {{ column_name }} > {{ other_column }}

{% endtest %}
