{#-
    Cohort retention by period (docs/definitions.md#cohorts-and-retention) on the
    occasion grain (crm_purchase_occasions, e.g. int_purchase_occasions_grouped). A
    customer's cohort is the period of `cohort_grain` holding their first occasion.
    One row per cohort x period_number, every period starting on or before as_of_date
    (or only the period_numbers listed in `periods`):
      mode='exact':  active_customers = cohort customers with an occasion in period k
                     (1.0 at k = 0): the cohort matrix.
      mode='within': active_customers = cohort customers with another occasion after
                     their first purchase date in periods 0..k (cumulative).
    Columns: partition columns, cohort_start, period_number, cohort_size,
    active_customers, retention_rate, period_start, period_end, is_complete (the
    period ends on or before as_of_date). (Retention N days after the first purchase
    is n_day_retention_rate.)
-#}
{% macro retention_rate(
    occasions,
    cohort_grain='month',
    mode='exact',
    periods=none,
    partition_by=[],
    as_of_date=none
) %}
    {{- return(adapter.dispatch('retention_rate', 'crm_warehouse')(
        occasions, cohort_grain, mode, periods, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__retention_rate(occasions, cohort_grain, mode, periods, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    {%- if mode not in ['exact', 'within'] -%}
        {{ exceptions.raise_compiler_error("retention_rate: mode must be 'exact' or 'within', got '" ~ mode ~ "'") }}
    {%- endif -%}
    {%- if periods is not none -%}
        {%- set periods = crm_metric_int_list(periods, 'retention_rate: periods') -%}
    {%- endif -%}
    with

    retention__customers as (
        {{ crm_metric_cohort_members(occasions, cohort_grain, metric.parts) | indent(8) }}
    ),

    retention__cohorts as (
        select
            {{ metric.part_keys }}cohort_start,
            cast(count(*) as bigint) as cohort_size
        from retention__customers
        group by {{ metric.part_keys }}cohort_start
    ),

    retention__periods as (
        {{ crm_period_spine(
            cohort_grain, '(select min(purchase_date) from ' ~ occasions ~ ')', metric.as_of
        ) | indent(8) }}
    ),

    retention__grid as (
        select
            {% for column in metric.parts -%}
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
            {% for column in metric.parts -%}
            retention__customers.{{ column }},
            {% endfor -%}
            retention__customers.cohort_start,
            {{ crm_period_start(cohort_grain, 'retention__occasions.purchase_date') }} as period_start,
            cast(count(distinct retention__customers.customer_id) as bigint) as active_customers
        from {{ occasions }} as retention__occasions
        inner join retention__customers
            on
                {% for column in metric.parts -%}
                retention__occasions.{{ column }} = retention__customers.{{ column }} and
                {% endfor -%}
                retention__occasions.customer_id = retention__customers.customer_id
        group by
            {% for column in metric.parts -%}
            retention__customers.{{ column }},
            {% endfor -%}
            retention__customers.cohort_start,
            {{ crm_period_start(cohort_grain, 'retention__occasions.purchase_date') }}
    ),

    retention__counted as (
        select
            {% for column in metric.parts -%}
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
                {% for column in metric.parts -%}
                retention__grid.{{ column }} = retention__activity.{{ column }} and
                {% endfor -%}
                retention__grid.cohort_start = retention__activity.cohort_start
                and retention__grid.period_start = retention__activity.period_start
    ),

    {%- else %}

    retention__returns as (
        select
            {{ metric.part_keys }}cohort_start,
            {{ crm_period_start(cohort_grain, 'second_purchase_date') }} as period_start,
            cast(count(*) as bigint) as returned_customers
        from retention__customers
        where second_purchase_date is not null
        group by
            {{ metric.part_keys }}cohort_start,
            {{ crm_period_start(cohort_grain, 'second_purchase_date') }}
    ),

    retention__counted as (
        select
            {% for column in metric.parts -%}
            retention__grid.{{ column }},
            {% endfor -%}
            retention__grid.cohort_start,
            retention__grid.period_number,
            retention__grid.cohort_size,
            cast(sum(coalesce(retention__returns.returned_customers, 0)) over (
                partition by
                    {% for column in metric.parts -%}
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
                {% for column in metric.parts -%}
                retention__grid.{{ column }} = retention__returns.{{ column }} and
                {% endfor -%}
                retention__grid.cohort_start = retention__returns.cohort_start
                and retention__grid.period_start = retention__returns.period_start
    ),

    {%- endif %}

    retention__final as (
        select
            {{ metric.part_keys }}cohort_start,
            period_number,
            cohort_size,
            active_customers,
            cast(active_customers as double) / nullif(cohort_size, 0) as retention_rate,
            period_start,
            period_end,
            period_end <= {{ metric.as_of }} as is_complete
        from retention__counted
        {%- if periods is not none %}
        where period_number in ({{ periods | join(', ') }})
        {%- endif %}
    )

    select * from retention__final
{%- endmacro %}
