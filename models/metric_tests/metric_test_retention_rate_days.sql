{#- retention_rate(unit='day') in both modes on the hand-made cases (as_of_date
    2024-01-14), compared row by row with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_retention_days') }}
),

{# The occasion grain of the cases, up to as_of_date (later orders are ignored). #}
case_orders as (
    select * from cases
    where purchase_date <= {{ as_of }}
),

case_occasions as (
    {{ crm_purchase_occasions('case_orders', ['case_id']) | indent(4) }}
),

short_cases as (
    select * from case_occasions
    where case_id in ('same_day', 'year_end', 'zero')
),

year_end_case as (
    select * from case_occasions
    where case_id = 'year_end'
),

within_month as (
    {{ n_day_retention_rate('short_cases', [1, 7, 45], 'within', 'month', ['case_id'], as_of_date=as_of)
        | indent(4) }}
),

exact_month as (
    {{ n_day_retention_rate('year_end_case', [1, 44, 45], 'exact', 'month', ['case_id'], as_of_date=as_of)
        | indent(4) }}
),

actual as (
    select
        'within_month' as call_id,
        case_id,
        cohort_start,
        window_days,
        eligible_customers,
        retained_customers,
        retention_rate,
        cohort_size,
        is_complete
    from within_month
    union all
    select
        'exact_month' as call_id,
        case_id,
        cohort_start,
        window_days,
        eligible_customers,
        retained_customers,
        retention_rate,
        cohort_size,
        is_complete
    from exact_month
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'cohort_start', 'window_days'],
        ['eligible_customers', 'retained_customers', 'cohort_size', 'is_complete'],
        ['retention_rate']
    ) | indent(4) }}
)

select * from final
