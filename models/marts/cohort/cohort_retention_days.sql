{#- N-day retention per cohort (docs/definitions.md#cohorts-and-retention): eligible = cohort customers
    with first purchase_date + N <= as_of_date; retained = eligible customers with
    another occasion in (first purchase_date, first purchase_date + N]. One row per
    cohort (var cohort_grain) x window_days (var retention_window_days). -#}
{%- set cohort_grain = crm_cohort_grain() -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

retention as (
    {{ n_day_retention_rate('occasions', var('retention_window_days'), 'within', cohort_grain) | indent(4) }}
),

final as (
    select
        cohort_start,
        cast(window_days as int) as window_days,
        eligible_customers,
        retained_customers,
        retention_rate,
        cohort_size,
        is_complete,
        '{{ cohort_grain }}' as cohort_grain
    from retention
)

select * from final
