{#- Repurchase rates (docs/definitions.md#rates): per period of each grain (month,
    quarter, year) x customer_type (all | new | returning; new = the customer's first
    occasion falls in the period), among customers with >= 1 occasion in the period,
    the share with >= 2 occasions in it. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

{% for grain in ['month', 'quarter', 'year'] %}
{{ grain }}_rates as (
    {{ repurchase_rate('occasions', grain, split_customer_type=true) | indent(4) }}
),

{% endfor %}
unioned as (
    select * from month_rates
    union all
    select * from quarter_rates
    union all
    select * from year_rates
),

final as (
    select
        period_grain,
        period_start,
        customer_type,
        buyers,
        repeat_buyers,
        repurchase_rate,
        period_end,
        is_complete
    from unioned
)

select * from final
