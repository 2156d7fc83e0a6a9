{#- retention_rate(unit='period') on the hand-made cases (as_of_date 2024-01-14),
    compared row by row with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_retention_periods') }}
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

exact_month as (
    {{ retention_rate('short_cases', 'month', 'exact', none, ['case_id'], as_of_date=as_of) | indent(4) }}
),

within_week as (
    {{ retention_rate('year_end_case', 'week', 'within', [0, 1, 6], ['case_id'], as_of_date=as_of)
        | indent(4) }}
),

actual as (
    select
        'exact_month' as call_id,
        case_id,
        cohort_start,
        period_number,
        cohort_size,
        active_customers,
        retention_rate,
        is_complete
    from exact_month
    union all
    select
        'within_week' as call_id,
        case_id,
        cohort_start,
        period_number,
        cohort_size,
        active_customers,
        retention_rate,
        is_complete
    from within_week
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'cohort_start', 'period_number'],
        ['cohort_size', 'active_customers', 'is_complete'],
        ['retention_rate']
    ) | indent(4) }}
)

select * from final
