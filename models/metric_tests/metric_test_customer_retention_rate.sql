{#- customer_retention_rate on the hand-made orders (as_of_date 2024-01-14; an order
    after it is ignored, also as a return): monthly with the customer_type split and
    windows 1 and 45 days, weekly without the split and a 1-day window, compared with
    the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_customer_retention') }}
),

{# The occasion grain of the cases, up to as_of_date (later orders are ignored). #}
case_orders as (
    select * from cases
    where purchase_date <= {{ as_of }}
),

case_occasions as (
    {{ crm_purchase_occasions('case_orders', ['case_id']) | indent(4) }}
),

month_cases as (
    select * from case_occasions
    where case_id in ('year_end', 'zero')
),

year_end_case as (
    select * from case_occasions
    where case_id = 'year_end'
),

by_month as (
    {{ customer_retention_rate('month_cases', 'month', [1, 45], true, ['case_id'], as_of_date=as_of)
        | indent(4) }}
),

by_week as (
    {{ customer_retention_rate('year_end_case', 'week', [1], false, ['case_id'], as_of_date=as_of)
        | indent(4) }}
),

actual as (
    select
        'month' as call_id,
        case_id,
        period_grain,
        period_start,
        customer_type,
        window_days,
        base_customers,
        retained_customers,
        retention_rate,
        is_complete
    from by_month
    union all
    select
        'week' as call_id,
        case_id,
        period_grain,
        period_start,
        customer_type,
        window_days,
        base_customers,
        retained_customers,
        retention_rate,
        is_complete
    from by_week
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'period_grain', 'period_start', 'customer_type', 'window_days'],
        ['base_customers', 'retained_customers', 'is_complete'],
        ['retention_rate']
    ) | indent(4) }}
)

select * from final
