{#- reactivation_rate on the hand-made cases (as_of_date 2024-01-14): monthly around
    the year end and yearly on customers sitting on each lifecycle stage boundary,
    compared with the hand-computed expected seed. -#}
{%- set as_of = crm_date_literal('2024-01-14') -%}

with

cases as (
    select * from {{ ref('metric_cases_orders') }}
),

expected as (
    select * from {{ ref('metric_cases_expected_reactivation') }}
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

lifecycle_case as (
    select * from case_occasions
    where case_id = 'lifecycle'
),

monthly as (
    {{ reactivation_rate('year_end_case', 'month', partition_by=['case_id'], as_of_date=as_of) | indent(4) }}
),

yearly as (
    {{ reactivation_rate('lifecycle_case', 'year', partition_by=['case_id'], as_of_date=as_of) | indent(4) }}
),

actual as (
    select
        'month' as call_id,
        case_id,
        period_grain,
        period_start,
        from_stage,
        customers_at_start,
        purchasers,
        reactivation_rate,
        is_complete
    from monthly
    union all
    select
        'year' as call_id,
        case_id,
        period_grain,
        period_start,
        from_stage,
        customers_at_start,
        purchasers,
        reactivation_rate,
        is_complete
    from yearly
),

final as (
    {{ crm_metric_test_compare(
        'actual', 'expected',
        ['call_id', 'case_id', 'period_grain', 'period_start', 'from_stage'],
        ['customers_at_start', 'purchasers', 'is_complete'],
        ['reactivation_rate']
    ) | indent(4) }}
)

select * from final
