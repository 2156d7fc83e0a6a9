{#-
    Cohort retention on any relation of purchases or occasions (docs/definitions.md#cohorts-and-retention).
    A customer's cohort is the period of `cohort_grain` holding their first occasion.

    unit='period' (one row per cohort x period_number, every period starting on or
    before as_of_date, or only the period_numbers listed in `windows`):
      mode='exact':  active_customers = cohort customers with an occasion in period k
                     (1.0 at k = 0): the cohort matrix.
      mode='within': active_customers = cohort customers with another occasion after
                     their first purchase date in periods 0..k (cumulative).
      Columns: partition columns, cohort_start, period_number, cohort_size,
      active_customers, retention_rate, period_start, period_end, is_complete
      (the period ends on or before as_of_date).

    unit='day' (one row per cohort x window in `windows`, default var
    retention_window_days; cohort_grain none = one cohort, cohort_start null):
      eligible_customers = cohort customers with first purchase_date + N <= as_of_date;
      mode='within': retained = eligible with another occasion in (first, first + N];
      mode='exact':  retained = eligible with an occasion on day first + N exactly.
      Columns: partition columns, cohort_start, window_days, eligible_customers,
      retained_customers, retention_rate (null when nobody is eligible), cohort_size,
      is_complete (every cohort customer is eligible).
-#}
{% macro retention_rate(
    relation,
    unit='period',
    windows=none,
    mode='exact',
    cohort_grain='month',
    partition_by=[],
    customer_column='customer_id',
    date_column='purchase_date',
    as_of_date=none,
    prepared=false
) %}
    {{- return(adapter.dispatch('retention_rate', 'crm_warehouse')(
        relation, unit, windows, mode, cohort_grain, partition_by, customer_column, date_column, as_of_date,
        prepared
    )) -}}
{% endmacro %}


{% macro default__retention_rate(
    relation, unit, windows, mode, cohort_grain, partition_by, customer_column, date_column, as_of_date,
    prepared
) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    {%- set as_of = as_of_date if as_of_date is not none else crm_as_of_date_legacy() -%}
    {%- if unit not in ['period', 'day'] -%}
        {{ exceptions.raise_compiler_error("retention_rate: unit must be 'period' or 'day', got '" ~ unit ~ "'") }}
    {%- endif -%}
    {%- if mode not in ['exact', 'within'] -%}
        {{ exceptions.raise_compiler_error("retention_rate: mode must be 'exact' or 'within', got '" ~ mode ~ "'") }}
    {%- endif -%}
    {%- if unit == 'period' and cohort_grain is none -%}
        {{ exceptions.raise_compiler_error("retention_rate: unit 'period' needs a cohort_grain") }}
    {%- endif -%}
    {%- if windows is none and unit == 'day' -%}
        {%- set windows = var('retention_window_days') -%}
    {%- endif -%}
    {%- if windows is not none -%}
        {%- set windows = ([windows] if windows is number or windows is string else windows) | map('int') | list -%}
        {%- if windows | length == 0 -%}
            {{ exceptions.raise_compiler_error("retention_rate: windows is an empty list") }}
        {%- endif -%}
    {%- endif -%}
    {%- set part_keys -%}
        {%- for column in parts %}{{ column }}, {% endfor -%}
    {%- endset -%}
    with

    retention__occasions as (
        {{ crm_metric_occasions(
            relation, customer_column, date_column, none, none, parts, as_of, prepared
        ) | indent(8) }}
    ),

    retention__customers as (
        select
            {{ part_keys }}customer_id,
            purchase_date as first_purchase_date,
            next_purchase_date as second_purchase_date,
            {% if cohort_grain is none -%}
            cast(null as date) as cohort_start
            {%- else -%}
            {{ crm_period_start(cohort_grain, 'purchase_date') }} as cohort_start
            {%- endif %}
        from retention__occasions
        where occasion_number = 1
    ),

    retention__cohorts as (
        select
            {{ part_keys }}cohort_start,
            cast(count(*) as bigint) as cohort_size
        from retention__customers
        group by {{ part_keys }}cohort_start
    ),

{%- if unit == 'period' %}

    retention__periods as (
        {{ crm_period_spine(
            cohort_grain, '(select min(purchase_date) from retention__occasions)', as_of
        ) | indent(8) }}
    ),

    retention__grid as (
        select
            {% for column in parts -%}
            retention__cohorts.{{ column }},
            {% endfor -%}
            retention__cohorts.cohort_start,
            retention__cohorts.cohort_size,
            retention__periods.period_index - cohort_periods.period_index as period_number,
            retention__periods.period_start,
            retention__periods.period_end
        from retention__cohorts
        inner join retention__periods as cohort_periods
            on retention__cohorts.cohort_start = cohort_periods.period_start
        inner join retention__periods
            on cohort_periods.period_index <= retention__periods.period_index
    ),

    {%- if mode == 'exact' %}

    retention__activity as (
        select
            {% for column in parts -%}
            retention__customers.{{ column }},
            {% endfor -%}
            retention__customers.cohort_start,
            {{ crm_period_start(cohort_grain, 'retention__occasions.purchase_date') }} as period_start,
            cast(count(distinct retention__customers.customer_id) as bigint) as active_customers
        from retention__occasions
        inner join retention__customers
            on
                {% for column in parts -%}
                retention__occasions.{{ column }} = retention__customers.{{ column }} and
                {% endfor -%}
                retention__occasions.customer_id = retention__customers.customer_id
        group by
            {% for column in parts -%}
            retention__customers.{{ column }},
            {% endfor -%}
            retention__customers.cohort_start,
            {{ crm_period_start(cohort_grain, 'retention__occasions.purchase_date') }}
    ),

    retention__counted as (
        select
            {% for column in parts -%}
            retention__grid.{{ column }},
            {% endfor -%}
            retention__grid.cohort_start,
            retention__grid.period_number,
            retention__grid.cohort_size,
            coalesce(retention__activity.active_customers, 0) as active_customers,
            retention__grid.period_start,
            retention__grid.period_end
        from retention__grid
        left join retention__activity
            on
                {% for column in parts -%}
                retention__grid.{{ column }} = retention__activity.{{ column }} and
                {% endfor -%}
                retention__grid.cohort_start = retention__activity.cohort_start
                and retention__grid.period_start = retention__activity.period_start
    ),

    {%- else %}

    retention__returns as (
        select
            {{ part_keys }}cohort_start,
            {{ crm_period_start(cohort_grain, 'second_purchase_date') }} as period_start,
            cast(count(*) as bigint) as returned_customers
        from retention__customers
        where second_purchase_date is not null
        group by
            {{ part_keys }}cohort_start,
            {{ crm_period_start(cohort_grain, 'second_purchase_date') }}
    ),

    retention__counted as (
        select
            {% for column in parts -%}
            retention__grid.{{ column }},
            {% endfor -%}
            retention__grid.cohort_start,
            retention__grid.period_number,
            retention__grid.cohort_size,
            cast(sum(coalesce(retention__returns.returned_customers, 0)) over (
                partition by
                    {% for column in parts -%}
                    retention__grid.{{ column }},
                    {% endfor -%}
                    retention__grid.cohort_start
                order by retention__grid.period_number
                rows between unbounded preceding and current row
            ) as bigint) as active_customers,
            retention__grid.period_start,
            retention__grid.period_end
        from retention__grid
        left join retention__returns
            on
                {% for column in parts -%}
                retention__grid.{{ column }} = retention__returns.{{ column }} and
                {% endfor -%}
                retention__grid.cohort_start = retention__returns.cohort_start
                and retention__grid.period_start = retention__returns.period_start
    ),

    {%- endif %}

    retention__final as (
        select
            {{ part_keys }}cohort_start,
            period_number,
            cohort_size,
            active_customers,
            cast(active_customers as double) / nullif(cohort_size, 0) as retention_rate,
            period_start,
            period_end,
            period_end <= {{ as_of }} as is_complete
        from retention__counted
        {%- if windows is not none %}
        where period_number in ({{ windows | join(', ') }})
        {%- endif %}
    )

{%- else %}

    retention__windows as (
        {%- for window in windows %}
        select {{ window }} as window_days
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ),

    {%- if mode == 'exact' %}

    retention__hits as (
        select distinct
            {% for column in parts -%}
            retention__occasions.{{ column }},
            {% endfor -%}
            retention__occasions.customer_id,
            {{ dbt.datediff('retention__customers.first_purchase_date', 'retention__occasions.purchase_date', 'day') }}
                as window_days
        from retention__occasions
        inner join retention__customers
            on
                {% for column in parts -%}
                retention__occasions.{{ column }} = retention__customers.{{ column }} and
                {% endfor -%}
                retention__occasions.customer_id = retention__customers.customer_id
        where
            {{ dbt.datediff('retention__customers.first_purchase_date', 'retention__occasions.purchase_date', 'day') }}
            in ({{ windows | join(', ') }})
    ),

    {%- endif %}

    retention__flagged as (
        select
            {% for column in parts -%}
            retention__customers.{{ column }},
            {% endfor -%}
            retention__customers.cohort_start,
            retention__windows.window_days,
            case
                when {{ dbt.datediff('retention__customers.first_purchase_date', as_of, 'day') }}
                    >= retention__windows.window_days
                    then 1
                else 0
            end as is_eligible,
            {%- if mode == 'within' %}
            case
                when retention__customers.second_purchase_date is not null
                    and {{ dbt.datediff(
                        'retention__customers.first_purchase_date', 'retention__customers.second_purchase_date', 'day'
                    ) }} <= retention__windows.window_days
                    then 1
                else 0
            end as has_returned
            {%- else %}
            case when retention__hits.customer_id is not null then 1 else 0 end as has_returned
            {%- endif %}
        from retention__customers
        cross join retention__windows
        {%- if mode == 'exact' %}
        left join retention__hits
            on
                {% for column in parts -%}
                retention__customers.{{ column }} = retention__hits.{{ column }} and
                {% endfor -%}
                retention__customers.customer_id = retention__hits.customer_id
                and retention__windows.window_days = retention__hits.window_days
        {%- endif %}
    ),

    retention__counted as (
        select
            {{ part_keys }}cohort_start,
            window_days,
            cast(sum(is_eligible) as bigint) as eligible_customers,
            cast(sum(is_eligible * has_returned) as bigint) as retained_customers,
            cast(count(*) as bigint) as cohort_size
        from retention__flagged
        group by {{ part_keys }}cohort_start, window_days
    ),

    retention__final as (
        select
            {{ part_keys }}cohort_start,
            window_days,
            eligible_customers,
            retained_customers,
            cast(retained_customers as double) / nullif(eligible_customers, 0) as retention_rate,
            cohort_size,
            eligible_customers = cohort_size as is_complete
        from retention__counted
    )

{%- endif %}

    select * from retention__final
{%- endmacro %}
