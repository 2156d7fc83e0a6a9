{#-
    Average order value per period on the occasion grain (crm_purchase_occasions,
    e.g. int_purchase_occasions_grouped): aov = revenue / orders_count (money counted
    in orders, not occasions). One row per period of `period_grain` from the first
    occasion's period to the period holding as_of_date (periods without orders
    included: 0 orders, revenue 0, aov null).
    Columns: partition columns, period_grain, period_start, period_end, orders_count,
    revenue, aov, is_complete.
-#}
{% macro aov(occasions, period_grain='month', partition_by=[], as_of_date=none) %}
    {{- return(adapter.dispatch('aov', 'crm_warehouse')(occasions, period_grain, partition_by, as_of_date)) -}}
{% endmacro %}


{% macro default__aov(occasions, period_grain, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    with

    aov__grid as (
        {{ crm_metric_period_grid(occasions, period_grain, metric.parts, metric.as_of) | indent(8) }}
    ),

    aov__counted as (
        select
            {{ metric.part_keys }}{{ crm_period_start(period_grain, 'purchase_date') }} as period_start,
            cast(sum(orders_count) as bigint) as orders_count,
            cast(sum(net_amount) as decimal(18, 2)) as revenue
        from {{ occasions }}
        group by
            {{ metric.part_keys }}{{ crm_period_start(period_grain, 'purchase_date') }}
    ),

    aov__final as (
        select
            {% for column in metric.parts -%}
            aov__grid.{{ column }},
            {% endfor -%}
            '{{ period_grain }}' as period_grain,
            aov__grid.period_start,
            aov__grid.period_end,
            coalesce(aov__counted.orders_count, 0) as orders_count,
            coalesce(aov__counted.revenue, cast(0 as decimal(18, 2))) as revenue,
            cast(aov__counted.revenue as double) / nullif(aov__counted.orders_count, 0) as aov,
            aov__grid.period_end <= {{ metric.as_of }} as is_complete
        from aov__grid
        left join aov__counted
            on
                {% for column in metric.parts -%}
                aov__grid.{{ column }} = aov__counted.{{ column }} and
                {% endfor -%}
                aov__grid.period_start = aov__counted.period_start
    )

    select * from aov__final
{%- endmacro %}
