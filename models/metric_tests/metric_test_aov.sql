{#- aov on the hand-made orders (as_of_date 2024-01-14): monthly, and weekly with
    weeks without orders, compared with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_aov') }}
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

monthly as (
    {{ aov('short_cases', 'month', ['case_id'], as_of_date=as_of) | indent(4) }}
),

weekly as (
    {{ aov('year_end_case', 'week', ['case_id'], as_of_date=as_of) | indent(4) }}
),

actual as (
    select
        'month' as call_id,
        case_id,
        period_grain,
        period_start,
        period_end,
        orders_count,
        revenue,
        aov,
        is_complete
    from monthly
    union all
    select
        'week' as call_id,
        case_id,
        period_grain,
        period_start,
        period_end,
        orders_count,
        revenue,
        aov,
        is_complete
    from weekly
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'period_grain', 'period_start'],
        ['period_end', 'orders_count', 'revenue', 'is_complete'],
        ['aov']
    ) | indent(4) }}
)

select * from final
