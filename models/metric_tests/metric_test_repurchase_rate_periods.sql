{#- repurchase_rate in period mode on the hand-made cases (as_of_date 2024-01-14),
    monthly by customer type and yearly, compared with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_repurchase_periods') }}
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

month_split as (
    {{ repurchase_rate('short_cases', 'month', split_customer_type=true, partition_by=['case_id'], as_of_date=as_of)
        | indent(4) }}
),

year_all as (
    {{ repurchase_rate('year_end_case', 'year', partition_by=['case_id'], as_of_date=as_of) | indent(4) }}
),

actual as (
    select
        'month_split' as call_id,
        case_id,
        period_grain,
        period_start,
        customer_type,
        buyers,
        repeat_buyers,
        repurchase_rate,
        is_complete
    from month_split
    union all
    select
        'year_all' as call_id,
        case_id,
        period_grain,
        period_start,
        customer_type,
        buyers,
        repeat_buyers,
        repurchase_rate,
        is_complete
    from year_all
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'period_grain', 'period_start', 'customer_type'],
        ['buyers', 'repeat_buyers', 'is_complete'],
        ['repurchase_rate']
    ) | indent(4) }}
)

select * from final
