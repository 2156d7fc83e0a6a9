{#-
    Second-purchase rate on the occasion grain (crm_purchase_occasions, e.g.
    int_purchase_occasions_grouped): among first-time buyers whose first purchase_date
    + N <= as_of_date (eligible), the share with a second occasion in (first
    purchase_date, first purchase_date + N]. Same-day orders are one occasion, so a
    second order on the first day is not a second purchase. n_day_retention_rate
    (mode within) under the names of this metric. One row per window_days in
    `window_days` (default var retention_window_days) x first-purchase cohort of
    `cohort_grain` (none: one row per window, cohort_start null). Columns: partition
    columns, cohort_start, window_days, first_time_buyers, eligible_buyers,
    second_purchasers, second_purchase_rate (null when nobody is eligible), is_complete.
-#}
{% macro second_purchase_rate(occasions, window_days=none, cohort_grain=none, partition_by=[], as_of_date=none) %}
    {{- return(adapter.dispatch('second_purchase_rate', 'crm_warehouse')(
        occasions, window_days, cohort_grain, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__second_purchase_rate(occasions, window_days, cohort_grain, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    with

    second_purchase__retention as (
        {{ n_day_retention_rate(
            occasions, window_days, 'within', cohort_grain, metric.parts, metric.as_of
        ) | indent(8) }}
    ),

    second_purchase__final as (
        select
            {{ metric.part_keys }}cohort_start,
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
