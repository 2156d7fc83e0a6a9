{#- active_customer_arpu on the hand-made orders (as_of_date 2024-01-14) with a 30-day
    and a 365-day active window, compared with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_arpu') }}
),

year_end_case as (
    select * from cases
    where case_id = 'year_end'
),

zero_case as (
    select * from cases
    where case_id = 'zero'
),

window_30 as (
    {{ active_customer_arpu('year_end_case', 'month', 30, ['case_id'], orders_column=none, as_of_date=as_of)
        | indent(4) }}
),

window_365 as (
    {{ active_customer_arpu('zero_case', 'month', 365, ['case_id'], orders_column=none, as_of_date=as_of)
        | indent(4) }}
),

actual as (
    select
        'window_30' as call_id,
        case_id,
        period_grain,
        period_start,
        active_customers,
        revenue,
        active_customer_arpu,
        is_complete
    from window_30
    union all
    select
        'window_365' as call_id,
        case_id,
        period_grain,
        period_start,
        active_customers,
        revenue,
        active_customer_arpu,
        is_complete
    from window_365
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
