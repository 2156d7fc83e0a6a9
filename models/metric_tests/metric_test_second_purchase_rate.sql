{#- second_purchase_rate on the hand-made cases (as_of_date 2024-01-14), overall and
    by first-purchase year, compared row by row with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_second_purchase') }}
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

overall as (
    {{ second_purchase_rate('short_cases', [7], none, ['case_id'], as_of_date=as_of) | indent(4) }}
),

by_year as (
    {{ second_purchase_rate('year_end_case', 45, 'year', ['case_id'], as_of_date=as_of) | indent(4) }}
),

actual as (
    select
        'overall' as call_id,
        case_id,
        cohort_start,
        window_days,
        first_time_buyers,
        eligible_buyers,
        second_purchasers,
        second_purchase_rate,
        is_complete
    from overall
    union all
    select
        'by_year' as call_id,
        case_id,
        cohort_start,
        window_days,
        first_time_buyers,
        eligible_buyers,
        second_purchasers,
        second_purchase_rate,
        is_complete
    from by_year
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'cohort_start', 'window_days'],
        ['first_time_buyers', 'eligible_buyers', 'second_purchasers', 'is_complete'],
        ['second_purchase_rate']
    ) | indent(4) }}
)

select * from final
