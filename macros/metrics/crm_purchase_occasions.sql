{#-
    The purchase occasion grain (docs/definitions.md#purchases-and-occasions), the one
    definition the project uses: a select over a relation of purchases (one row per
    order: customer_id, purchase_date, net_amount, plus the partition_by columns) with
    one row per ([partition_by...], customer_id, purchase_date). Several orders of a
    customer on one day are one occasion: orders_count counts them, net_amount sums
    their money. occasion_number, previous_purchase_date and next_purchase_date follow
    the customer's occasions (within the partition) in date order.
    int_purchase_occasions_grouped is this over int_purchases_filtered; the metric
    macros read that model (or, in the metric tests, this over hand-made orders).
-#}
{% macro crm_purchase_occasions(purchases, partition_by=[]) %}
    {{- return(adapter.dispatch('crm_purchase_occasions', 'crm_warehouse')(purchases, partition_by)) -}}
{% endmacro %}


{% macro default__crm_purchase_occasions(purchases, partition_by) %}
    {%- set metric = crm_metric_setup(partition_by) -%}
    {%- set customer_keys = metric.part_keys ~ 'customer_id' -%}
    select
        {{ metric.part_keys }}customer_id,
        purchase_date,
        orders_count,
        net_amount,
        row_number() over (
            partition by {{ customer_keys }} order by purchase_date
        ) as occasion_number,
        lag(purchase_date) over (
            partition by {{ customer_keys }} order by purchase_date
        ) as previous_purchase_date,
        lead(purchase_date) over (
            partition by {{ customer_keys }} order by purchase_date
        ) as next_purchase_date
    from (
        select
            {{ metric.part_keys }}customer_id,
            purchase_date,
            cast(count(*) as {{ dbt.type_bigint() }}) as orders_count,
            cast(sum(net_amount) as decimal(18, 2)) as net_amount
        from {{ purchases }}
        group by {{ metric.part_keys }}customer_id, purchase_date
    ) as occasion_days
{%- endmacro %}
