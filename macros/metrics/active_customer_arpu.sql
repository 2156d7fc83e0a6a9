{#-
    Active-customer ARPU (活跃客户ARPU, docs/definitions.md#rates) per period on any relation
    of purchases or occasions: active_customers = customers with >= 1 purchase
    occasion in the period; revenue = net money of the period's orders;
    active_customer_arpu = revenue / active_customers (null when 0). One row per period
    of `period_grain` from the first occasion's period to the period holding
    as_of_date. Columns: partition columns, period_grain, period_start, period_end,
    active_customers, revenue, active_customer_arpu, is_complete.
    (Revenue per customer active in a trailing window is another metric: divide by the
    buyers of repurchase_rate(..., window_days=N) instead.)
-#}
{% macro active_customer_arpu(
    relation,
    period_grain='month',
    partition_by=[],
    customer_column='customer_id',
    date_column='purchase_date',
    amount_column='net_amount',
    orders_column='orders_count',
    as_of_date=none,
    prepared=false
) %}
    {{- return(adapter.dispatch('active_customer_arpu', 'crm_warehouse')(
        relation, period_grain, partition_by, customer_column, date_column,
        amount_column, orders_column, as_of_date, prepared
    )) -}}
{% endmacro %}


{% macro default__active_customer_arpu(
    relation, period_grain, partition_by, customer_column, date_column,
    amount_column, orders_column, as_of_date, prepared
) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    with

    arpu__revenue as (
        {{ aov(
            relation, period_grain, parts, customer_column, date_column, amount_column, orders_column, as_of_date,
            prepared
        ) | indent(8) }}
    ),

    arpu__buyers as (
        {{ repurchase_rate(
            relation, period_grain, none, none, false, parts,
            customer_column, date_column, as_of_date, prepared
        ) | indent(8) }}
    ),

    arpu__final as (
        select
            {% for column in parts -%}
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
                {% for column in parts -%}
                arpu__revenue.{{ column }} = arpu__buyers.{{ column }} and
                {% endfor -%}
                arpu__revenue.period_start = arpu__buyers.period_start
    )

    select * from arpu__final
{%- endmacro %}
