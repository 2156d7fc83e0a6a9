{#-
    Each customer's first occasion, the cohort metrics' base: a select of
    ([partition_by...], customer_id, first_purchase_date, second_purchase_date (null
    without a second occasion), cohort_start (the period of `cohort_grain` holding the
    first occasion; null when cohort_grain is none)) from the occasion grain.
-#}
{% macro crm_metric_cohort_members(occasions, cohort_grain, partition_by=[]) %}
    {{- return(adapter.dispatch('crm_metric_cohort_members', 'crm_warehouse')(occasions, cohort_grain, partition_by)) -}}
{% endmacro %}


{% macro default__crm_metric_cohort_members(occasions, cohort_grain, partition_by) %}
    {%- set metric = crm_metric_setup(partition_by) -%}
    select
        {{ metric.part_keys }}customer_id,
        purchase_date as first_purchase_date,
        next_purchase_date as second_purchase_date,
        {% if cohort_grain is none -%}
        cast(null as date) as cohort_start
        {%- else -%}
        {{ crm_period_start(cohort_grain, 'purchase_date') }} as cohort_start
        {%- endif %}
    from {{ occasions }}
    where occasion_number = 1
{%- endmacro %}
