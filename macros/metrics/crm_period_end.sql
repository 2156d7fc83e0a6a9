{#-
    SQL: the last day (a date) of the period of `grain` that starts on `period_start_sql`.
-#}
{% macro crm_period_end(grain, period_start_sql) %}
    {{- return(adapter.dispatch('crm_period_end', 'crm_warehouse')(grain, period_start_sql)) -}}
{% endmacro %}


{% macro default__crm_period_end(grain, period_start_sql) %}
    {%- set months = {'month': 1, 'quarter': 3, 'year': 12} -%}
    {%- if grain == 'week' -%}
        cast({{ dbt.dateadd('day', 6, period_start_sql) }} as date)
    {%- elif grain in months -%}
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', months[grain], period_start_sql)) }} as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "period grain '" ~ grain ~ "' is not supported: use week, month, quarter or year."
        ) }}
    {%- endif -%}
{%- endmacro %}
