{#- repurchase_rate in trailing-window mode (7 days) at hand-picked dates around the
    year end (as_of_date 2024-01-14), compared with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_repurchase_windows') }}
),

{# The occasion grain of the cases, up to as_of_date (later orders are ignored). #}
case_orders as (
    select * from cases
    where purchase_date <= {{ as_of }}
),

case_occasions as (
    {{ crm_purchase_occasions('case_orders', ['case_id']) | indent(4) }}
),

year_end_case as (
    select * from case_occasions
    where case_id = 'year_end'
),

check_dates as (
    select distinct at_date from expected
),

window_7 as (
    {{ trailing_repurchase_rate(
        'year_end_case', 7, 'check_dates', partition_by=['case_id'], as_of_date=as_of
    ) | indent(4) }}
),

actual as (
    select
        'window_7' as call_id,
        case_id,
        at_date,
        window_days,
        buyers,
        repeat_buyers,
        repurchase_rate
    from window_7
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'at_date'],
        ['window_days', 'buyers', 'repeat_buyers'],
        ['repurchase_rate']
    ) | indent(4) }}
)

select * from final
