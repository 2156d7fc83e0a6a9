{#- active_customer_arpu on the hand-made orders (as_of_date 2024-01-14; an order after
    it is ignored) per month and per quarter, compared with the hand-computed expected
    seed: the base is the period's buyers. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_arpu') }}
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
    {{ active_customer_arpu('month_cases', 'month', ['case_id'], as_of_date=as_of)
        | indent(4) }}
),

by_quarter as (
    {{ active_customer_arpu('year_end_case', 'quarter', ['case_id'], as_of_date=as_of)
        | indent(4) }}
),

actual as (
    select
        'month' as call_id,
        case_id,
        period_grain,
        period_start,
        active_customers,
        revenue,
        active_customer_arpu,
        is_complete
    from by_month
    union all
    select
        'quarter' as call_id,
        case_id,
        period_grain,
        period_start,
        active_customers,
        revenue,
        active_customer_arpu,
        is_complete
    from by_quarter
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'period_grain', 'period_start'],
        ['active_customers', 'revenue', 'is_complete'],
        ['active_customer_arpu']
    ) | indent(4) }}
)

select * from final
