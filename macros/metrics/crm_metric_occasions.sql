{#-
    A select of purchase occasions from any relation of purchases or occasions (the
    shared first step of the metric macros): one row per (partition_by..., customer,
    date) up to as_of_date, with orders_count, net_amount, occasion_number and the
    previous / next occasion's date. Several rows on one day are one occasion; money
    and orders are summed over them.
    - amount_column: money column summed into net_amount (none: null money).
    - orders_column: orders per row (e.g. orders_count of an occasions relation);
      none counts each row as one order (a relation of orders).
    - prepared: the relation already holds one row per (partition, customer, date) with
      occasion_number, previous_purchase_date and next_purchase_date over the customer's
      whole history (e.g. int_purchase_occasions_grouped, optionally with columns that
      are constant per customer): they are used as they are, without regrouping.
-#}
{% macro crm_metric_occasions(
    relation,
    customer_column='customer_id',
    date_column='purchase_date',
    amount_column='net_amount',
    orders_column='orders_count',
    partition_by=[],
    as_of_date=none,
    prepared=false
) %}
    {{- return(adapter.dispatch('crm_metric_occasions', 'crm_warehouse')(
        relation, customer_column, date_column, amount_column, orders_column, partition_by, as_of_date, prepared
    )) -}}
{% endmacro %}


{% macro default__crm_metric_occasions(
    relation, customer_column, date_column, amount_column, orders_column, partition_by, as_of_date, prepared
) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    {%- set as_of = as_of_date if as_of_date is not none else crm_as_of_date_legacy() -%}
    {%- if prepared %}
    select
        {% for column in parts -%}
        source_rows.{{ column }},
        {% endfor -%}
        source_rows.{{ customer_column }} as customer_id,
        cast(source_rows.{{ date_column }} as date) as purchase_date,
        {% if orders_column is none -%}
        cast(1 as bigint) as orders_count,
        {%- else -%}
        cast(source_rows.{{ orders_column }} as bigint) as orders_count,
        {%- endif %}
        {% if amount_column is none -%}
        cast(null as decimal(18, 2)) as net_amount,
        {%- else -%}
        cast(source_rows.{{ amount_column }} as decimal(18, 2)) as net_amount,
        {%- endif %}
        source_rows.occasion_number,
        source_rows.previous_purchase_date,
        case
            when source_rows.next_purchase_date <= {{ as_of }} then source_rows.next_purchase_date
        end as next_purchase_date
    from {{ relation }} as source_rows
    where
        source_rows.{{ customer_column }} is not null
        and cast(source_rows.{{ date_column }} as date) <= {{ as_of }}
    {%- else -%}
    {%- set keys -%}
        {%- for column in parts %}occasion_days.{{ column }}, {% endfor -%}
        occasion_days.customer_id
    {%- endset %}
    select
        {% for column in parts -%}
        occasion_days.{{ column }},
        {% endfor -%}
        occasion_days.customer_id,
        occasion_days.purchase_date,
        occasion_days.orders_count,
        occasion_days.net_amount,
        row_number() over (
            partition by {{ keys }} order by occasion_days.purchase_date
        ) as occasion_number,
        lag(occasion_days.purchase_date) over (
            partition by {{ keys }} order by occasion_days.purchase_date
        ) as previous_purchase_date,
        lead(occasion_days.purchase_date) over (
            partition by {{ keys }} order by occasion_days.purchase_date
        ) as next_purchase_date
    from (
        select
            {% for column in parts -%}
            source_rows.{{ column }},
            {% endfor -%}
            source_rows.{{ customer_column }} as customer_id,
            cast(source_rows.{{ date_column }} as date) as purchase_date,
            {% if orders_column is none -%}
            cast(count(*) as bigint) as orders_count,
            {%- else -%}
            cast(sum(source_rows.{{ orders_column }}) as bigint) as orders_count,
            {%- endif %}
            {% if amount_column is none -%}
            cast(null as decimal(18, 2)) as net_amount
            {%- else -%}
            cast(sum(source_rows.{{ amount_column }}) as decimal(18, 2)) as net_amount
            {%- endif %}
        from {{ relation }} as source_rows
        where
            source_rows.{{ customer_column }} is not null
            and cast(source_rows.{{ date_column }} as date) <= {{ as_of }}
        group by
            {% for column in parts -%}
            source_rows.{{ column }},
            {% endfor -%}
            source_rows.{{ customer_column }},
            cast(source_rows.{{ date_column }} as date)
    ) as occasion_days
    {%- endif %}
{%- endmacro %}
