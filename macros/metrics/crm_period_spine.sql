{#-
    A select of every period of `grain` from the period holding `first_date_sql` to the
    period holding `last_date_sql` (both scalar SQL date expressions, e.g. a scalar
    subquery): period_index (0-based), period_start, period_end. No generate_series:
    a numbers list (0..9999) from cross-joined `values` lists, bounded by dbt.datediff.
-#}
{% macro crm_period_spine(grain, first_date_sql, last_date_sql) %}
    {{- return(adapter.dispatch('crm_period_spine', 'crm_warehouse')(grain, first_date_sql, last_date_sql)) -}}
{% endmacro %}


{% macro default__crm_period_spine(grain, first_date_sql, last_date_sql) %}
    {%- set months = {'month': 1, 'quarter': 3, 'year': 12} -%}
    {%- if grain == 'week' -%}
        {%- set unit, step = 'day', 7 -%}
    {%- elif grain in months -%}
        {%- set unit, step = 'month', months[grain] -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "period grain '" ~ grain ~ "' is not supported: use week, month, quarter or year."
        ) }}
    {%- endif -%}
    {%- set digits = '(values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))' -%}
    select
        spine_numbers.period_index,
        cast({{ dbt.dateadd(unit, 'spine_numbers.period_index * ' ~ step, 'spine_bounds.first_start') }} as date)
            as period_start,
        {{ crm_period_end(grain, 'cast(' ~ dbt.dateadd(unit, 'spine_numbers.period_index * ' ~ step,
                                                      'spine_bounds.first_start') ~ ' as date)') }}
            as period_end
    from (
        select
            {{ crm_period_start(grain, first_date_sql) }} as first_start,
            {{ crm_period_start(grain, last_date_sql) }} as last_start
    ) as spine_bounds
    cross join (
        select ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as period_index
        from {{ digits }} as ones (digit)
        cross join {{ digits }} as tens (digit)
        cross join {{ digits }} as hundreds (digit)
        cross join {{ digits }} as thousands (digit)
    ) as spine_numbers
    where spine_numbers.period_index * {{ step }}
        <= {{ dbt.datediff('spine_bounds.first_start', 'spine_bounds.last_start', unit) }}
{%- endmacro %}
