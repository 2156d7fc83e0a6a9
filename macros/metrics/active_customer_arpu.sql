{#-
    Active-customer ARPU (活跃客户ARPU, docs/definitions.md#rates) per period on the
    occasion grain (crm_purchase_occasions, e.g. int_purchase_occasions_grouped):
    active_customers = customers with >= 1 purchase occasion in the period (the buyers
    of repurchase_rate); revenue = net money of the period's orders (that of aov);
    active_customer_arpu = revenue / active_customers (null when 0). One row per
    period of `period_grain` from the first occasion's period to the period holding
    as_of_date. Columns: partition columns, period_grain, period_start, period_end,
    active_customers, revenue, active_customer_arpu, is_complete.
    (Revenue per customer active in a trailing window is another metric: divide by the
    buyers of trailing_repurchase_rate instead.)
-#}
{% macro active_customer_arpu(occasions, period_grain='month', partition_by=[], as_of_date=none) %}
    {{- return(adapter.dispatch('active_customer_arpu', 'crm_warehouse')(
        occasions, period_grain, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__active_customer_arpu(occasions, period_grain, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    with

    arpu__revenue as (
        {{ aov(occasions, period_grain, metric.parts, metric.as_of) | indent(8) }}
    ),

    arpu__buyers as (
        {{ repurchase_rate(occasions, period_grain, false, metric.parts, metric.as_of) | indent(8) }}
    ),

    arpu__final as (
        select
            {% for column in metric.parts -%}
            arpu__revenue.{{ column }},
            {% endfor -%}
            arpu__revenue.period_grain,
            arpu__revenue.period_start,
            arpu__revenue.period_end,
            arpu__buyers.buyers as active_customers,
            arpu__revenue.revenue,
            cast(arpu__revenue.revenue as double) / nullif(arpu__buyers.buyers, 0) as active_customer_arpu,
            arpu__revenue.is_complete
        from arpu__revenue
        inner join arpu__buyers
            on
                {% for column in metric.parts -%}
                arpu__revenue.{{ column }} = arpu__buyers.{{ column }} and
                {% endfor -%}
                arpu__revenue.period_start = arpu__buyers.period_start
    )

    select * from arpu__final
{%- endmacro %}
