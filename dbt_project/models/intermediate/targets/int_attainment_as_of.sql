-- The evaluation date of the attainment marts and the last day of the district level, in one row.
-- as_of_date is the dbt var as_of_date ('YYYY-MM-DD'; default: the day of the build), so a build is
-- reproducible: `dbt build --vars '{as_of_date: "2023-12-31"}'`. Observations whose period ends after it
-- are not used, and a deadline is passed when it is before it. district_level_end_date (var
-- district_level_end_date, default 2025-06-30) is the last day of the district level, abolished by
-- Resolution 202/2025/QH15: district targets are evaluated on data up to that day only.

-- Ephemeral: compiled into each model that reads it, in the same dbt invocation, so the nightly build's
-- as_of_date (the run's evaluation date) reaches every relation it rebuilds; a view built once by
-- portal_inputs would keep the date of that build.
{{ config(materialized='ephemeral') }}

{%- set as_of_date = var('as_of_date', 'current_date') %}
{%- set district_level_end_date = var('district_level_end_date', '2025-06-30') %}

select
    {% if as_of_date in (none, '', 'current_date') -%}
        current_date
    {%- else -%}
        date '{{ as_of_date }}'
    {%- endif %} as as_of_date,
    date '{{ district_level_end_date }}' as district_level_end_date
