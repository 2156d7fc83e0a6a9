{#-
    The cohort retention matrix of the cohort marts (docs/definitions.md#cohorts-and-retention), on
    the occasion grain (crm_purchase_occasions, e.g. int_purchase_occasions_grouped): retention_rate (mode
    'exact') per cohort x period_number, plus the cohort's orders and revenue in the
    period and cumulative revenue per cohort customer to the period.
    Columns: partition columns, cohort_start, period_number, cohort_size,
    active_customers, retention_rate, orders_count, revenue,
    cumulative_revenue_per_customer, is_complete, cohort_grain, period_start, period_end.
-#}
{% macro crm_cohort_retention_matrix(occasions, cohort_grain='month', partition_by=[], as_of_date=none) %}
    {{- return(adapter.dispatch('crm_cohort_retention_matrix', 'crm_warehouse')(
        occasions, cohort_grain, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__crm_cohort_retention_matrix(occasions, cohort_grain, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    {%- set parts, part_keys = metric.parts, metric.part_keys -%}
    with

    matrix__retention as (
        {{ retention_rate(occasions, cohort_grain, 'exact', none, parts, metric.as_of) | indent(8) }}
    ),

    matrix__cohorts as (
        {{ crm_metric_cohort_members(occasions, cohort_grain, parts) | indent(8) }}
    ),

    matrix__money as (
        select
            {% for column in parts -%}
            matrix__cohorts.{{ column }},
            {% endfor -%}
            matrix__cohorts.cohort_start,
            {{ crm_period_start(cohort_grain, 'matrix__occasions.purchase_date') }} as period_start,
            cast(sum(matrix__occasions.orders_count) as bigint) as orders_count,
            cast(sum(matrix__occasions.net_amount) as decimal(18, 2)) as revenue
        from {{ occasions }} as matrix__occasions
        inner join matrix__cohorts
            on
                {% for column in parts -%}
                matrix__occasions.{{ column }} = matrix__cohorts.{{ column }} and
                {% endfor -%}
                matrix__occasions.customer_id = matrix__cohorts.customer_id
        group by
            {% for column in parts -%}
            matrix__cohorts.{{ column }},
            {% endfor -%}
            matrix__cohorts.cohort_start,
            {{ crm_period_start(cohort_grain, 'matrix__occasions.purchase_date') }}
    ),

    matrix__joined as (
        select
            {% for column in parts -%}
            matrix__retention.{{ column }},
            {% endfor -%}
            matrix__retention.cohort_start,
            matrix__retention.period_number,
            matrix__retention.cohort_size,
            matrix__retention.active_customers,
            matrix__retention.retention_rate,
            coalesce(matrix__money.orders_count, 0) as orders_count,
            coalesce(matrix__money.revenue, cast(0 as decimal(18, 2))) as revenue,
            matrix__retention.is_complete,
            matrix__retention.period_start,
            matrix__retention.period_end
        from matrix__retention
        left join matrix__money
            on
                {% for column in parts -%}
                matrix__retention.{{ column }} = matrix__money.{{ column }} and
                {% endfor -%}
                matrix__retention.cohort_start = matrix__money.cohort_start
                and matrix__retention.period_start = matrix__money.period_start
    ),

    matrix__final as (
        select
            {{ part_keys }}cohort_start,
            period_number,
            cohort_size,
            active_customers,
            retention_rate,
            orders_count,
            revenue,
            cast(sum(revenue) over (
                partition by {{ part_keys }}cohort_start
                order by period_number
                rows between unbounded preceding and current row
            ) as double) / nullif(cohort_size, 0) as cumulative_revenue_per_customer,
            is_complete,
            '{{ cohort_grain }}' as cohort_grain,
            period_start,
            period_end
        from matrix__joined
    )

    select * from matrix__final
{%- endmacro %}
