{#-
    Fiscal years for planning (docs/definitions.md#gap-analysis). A fiscal year
    starts on day 1 of month var `fiscal_year_start_month` (default 1 = calendar
    year) and is named after the calendar year in which it STARTS: with start
    month 4, fiscal year 2025 runs from 2025-04-01 to 2026-03-31.
-#}

{% macro crm_fiscal_year_start_month() %}
    {#- The validated start month (an int 1..12). -#}
    {%- set raw = var('fiscal_year_start_month') -%}
    {%- set text = (raw | string) | trim -%}
    {%- if not modules.re.match('^([1-9]|1[0-2])$', text) -%}
        {{ exceptions.raise_compiler_error(
            "var fiscal_year_start_month = '" ~ text ~ "' must be a month number from 1 to 12."
        ) }}
    {%- endif -%}
    {{- return(text | int) -}}
{% endmacro %}


{% macro crm_fiscal_year(date_sql) %}
    {#- SQL (int): the fiscal year holding the date `date_sql`. -#}
    {{- return(adapter.dispatch('crm_fiscal_year', 'crm_warehouse')(date_sql)) -}}
{% endmacro %}


{% macro default__crm_fiscal_year(date_sql) %}
    {%- set shift = crm_fiscal_year_start_month() - 1 -%}
    {%- if shift == 0 -%}
        cast(extract(year from {{ date_sql }}) as {{ dbt.type_int() }})
    {%- else -%}
        cast(extract(year from {{ dbt.dateadd('month', -shift, date_sql) }}) as {{ dbt.type_int() }})
    {%- endif -%}
{%- endmacro %}


{% macro crm_fiscal_year_start(year_sql) %}
    {#- SQL (date): the first day of fiscal year `year_sql` (an int expression). -#}
    {{- return(adapter.dispatch('crm_fiscal_year_start', 'crm_warehouse')(year_sql)) -}}
{% endmacro %}


{% macro default__crm_fiscal_year_start(year_sql) %}
    {%- set shift = crm_fiscal_year_start_month() - 1 -%}
    cast({{ dbt.dateadd(
        'month', '((' ~ year_sql ~ ') - 1970) * 12 + ' ~ shift, "cast('1970-01-01' as date)"
    ) }} as date)
{%- endmacro %}


{% macro crm_fiscal_year_end(year_sql) %}
    {#- SQL (date): the last day of fiscal year `year_sql` (an int expression). -#}
    {{- return(adapter.dispatch('crm_fiscal_year_end', 'crm_warehouse')(year_sql)) -}}
{% endmacro %}


{% macro default__crm_fiscal_year_end(year_sql) %}
    cast({{ dbt.dateadd('day', -1, crm_fiscal_year_start('(' ~ year_sql ~ ') + 1')) }} as date)
{%- endmacro %}


{% macro crm_planning_period_start(grain, date_sql) %}
    {#- SQL (date): start of the planning period holding `date_sql`; grain month
        (calendar month) or year (fiscal year). -#}
    {%- if grain == 'month' -%}
        cast({{ dbt.date_trunc('month', date_sql) }} as date)
    {%- elif grain == 'year' -%}
        {{ crm_fiscal_year_start(crm_fiscal_year(date_sql)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("planning period grain '" ~ grain ~ "' is not supported: use month or year.") }}
    {%- endif -%}
{% endmacro %}


{% macro crm_planning_period_end(grain, period_start_sql) %}
    {#- SQL (date): last day of the planning period of `grain` starting on `period_start_sql`. -#}
    {%- set months = {'month': 1, 'year': 12} -%}
    {%- if grain not in months -%}
        {{ exceptions.raise_compiler_error("planning period grain '" ~ grain ~ "' is not supported: use month or year.") }}
    {%- endif -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', months[grain], period_start_sql)) }} as date)
{%- endmacro %}


{% macro crm_fiscal_year_spine(first_year_sql, last_year_sql) %}
    {#- SQL (a select): one row per fiscal year from `first_year_sql` to `last_year_sql`
        (scalar int expressions, e.g. scalar subqueries), column fiscal_year: the
        period spine (crm_period_spine) at the year grain, counted from the first year. -#}
    select
        {{ first_year_sql }} + year_spine.period_index as fiscal_year
    from (
        {{ crm_period_spine(
            'year', crm_fiscal_year_start(first_year_sql), crm_fiscal_year_start(last_year_sql)
        ) | indent(8) }}
    ) as year_spine
{%- endmacro %}
