{#-
    Average order value per period on any relation of purchases or occasions:
    aov = revenue / orders_count (money counted in orders, not occasions).
    One row per period of `period_grain` from the first occasion's period to the period
    holding as_of_date (periods without orders included: 0 orders, revenue 0, aov null).
    Columns: partition columns, period_grain, period_start, period_end, orders_count,
    revenue, aov, is_complete.
    - amount_column: net money per row; orders_column: orders per row (none: each row
      is one order, e.g. a relation of orders).
-#}
{% macro aov(
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
    {{- return(adapter.dispatch('aov', 'crm_warehouse')(
        relation, period_grain, partition_by, customer_column, date_column, amount_column, orders_column,
        as_of_date, prepared
    )) -}}
{% endmacro %}


{% macro default__aov(
    relation, period_grain, partition_by, customer_column, date_column, amount_column, orders_column,
    as_of_date, prepared
) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    {%- set as_of = as_of_date if as_of_date is not none else crm_as_of_date_legacy() -%}
    {%- set part_keys -%}
        {%- for column in parts %}{{ column }}, {% endfor -%}
    {%- endset -%}
    with

    aov__occasions as (
        {{ crm_metric_occasions(
            relation, customer_column, date_column, amount_column, orders_column, parts, as_of, prepared
        ) | indent(8) }}
    ),

    aov__periods as (
        {{ crm_period_spine(period_grain, '(select min(purchase_date) from aov__occasions)', as_of) | indent(8) }}
    ),

    aov__partitions as (
        select
            {{ part_keys }}{{ crm_period_start(period_grain, 'min(purchase_date)') }} as first_period_start
        from aov__occasions
        {%- if parts %}
        group by {{ parts | join(', ') }}
        {%- endif %}
    ),

    aov__counted as (
        select
            {{ part_keys }}{{ crm_period_start(period_grain, 'purchase_date') }} as period_start,
            cast(sum(orders_count) as bigint) as orders_count,
            cast(sum(net_amount) as decimal(18, 2)) as revenue
        from aov__occasions
        group by
            {{ part_keys }}{{ crm_period_start(period_grain, 'purchase_date') }}
    ),

    aov__final as (
        select
            {% for column in parts -%}
            aov__partitions.{{ column }},
            {% endfor -%}
            '{{ period_grain }}' as period_grain,
            aov__periods.period_start,
            aov__periods.period_end,
            coalesce(aov__counted.orders_count, 0) as orders_count,
            coalesce(aov__counted.revenue, cast(0 as decimal(18, 2))) as revenue,
            cast(aov__counted.revenue as double) / nullif(aov__counted.orders_count, 0) as aov,
            aov__periods.period_end <= {{ as_of }} as is_complete
        from aov__partitions
        inner join aov__periods
            on aov__partitions.first_period_start <= aov__periods.period_start
        left join aov__counted
            on
                {% for column in parts -%}
                aov__partitions.{{ column }} = aov__counted.{{ column }} and
                {% endfor -%}
                aov__periods.period_start = aov__counted.period_start
    )

    select * from aov__final
{%- endmacro %}
