{#-
    Second-purchase rate on any relation of purchases or occasions: among first-time
    buyers whose first purchase_date + N <= as_of_date (eligible), the share with a
    second occasion in (first purchase_date, first purchase_date + N]. Same-day orders
    are one occasion, so a second order on the first day is not a second purchase.
    One row per window_days in `window_days` (default var retention_window_days) x
    first-purchase cohort of `cohort_grain` (none: one row per window, cohort_start
    null). Columns: partition columns, cohort_start, window_days, first_time_buyers,
    eligible_buyers, second_purchasers, second_purchase_rate (null when nobody is
    eligible), is_complete.
-#}
{% macro second_purchase_rate(
    relation,
    window_days=none,
    cohort_grain=none,
    partition_by=[],
    customer_column='customer_id',
    date_column='purchase_date',
    as_of_date=none,
    prepared=false
) %}
    {{- return(adapter.dispatch('second_purchase_rate', 'crm_warehouse')(
        relation, window_days, cohort_grain, partition_by, customer_column, date_column, as_of_date,
        prepared
    )) -}}
{% endmacro %}


{% macro default__second_purchase_rate(
    relation, window_days, cohort_grain, partition_by, customer_column, date_column, as_of_date,
    prepared
) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    {%- set part_keys -%}
        {%- for column in parts %}{{ column }}, {% endfor -%}
    {%- endset -%}
    with

    second_purchase__retention as (
        {{ retention_rate(
            relation, 'day', window_days, 'within', cohort_grain, parts, customer_column, date_column, as_of_date,
            prepared
        ) | indent(8) }}
    ),

    second_purchase__final as (
        select
            {{ part_keys }}cohort_start,
            window_days,
            cohort_size as first_time_buyers,
            eligible_customers as eligible_buyers,
            retained_customers as second_purchasers,
            retention_rate as second_purchase_rate,
            is_complete
        from second_purchase__retention
    )

    select * from second_purchase__final
{%- endmacro %}
