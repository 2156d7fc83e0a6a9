{#-
    SQL: the first day (a date) of the period of `grain` holding `date_sql`.
    grain: week (weeks start on Monday) | month | quarter | year.
-#}
{% macro crm_period_start(grain, date_sql) %}
    {{- return(adapter.dispatch('crm_period_start', 'crm_warehouse')(grain, date_sql)) -}}
{% endmacro %}


{% macro default__crm_period_start(grain, date_sql) %}
    {%- if grain not in ['week', 'month', 'quarter', 'year'] -%}
        {{ exceptions.raise_compiler_error(
            "period grain '" ~ grain ~ "' is not supported: use week, month, quarter or year."
        ) }}
    {%- endif -%}
    {#- dbt.date_trunc('week', ...) starts weeks on Monday on DuckDB and Spark. -#}
    cast({{ dbt.date_trunc(grain, date_sql) }} as date)
{%- endmacro %}
