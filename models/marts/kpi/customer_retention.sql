{#- The seed's retention rate (客户保持率, docs/definitions.md#cohorts-and-retention): per month and per
    week, the customers with an occasion in the period, each from their last
    occasion in it, and the share of them with another occasion within N days (var
    customer_retention_window_days, default 90, 180, 365), for all customers and
    split into new (first occasion ever in the period) and returning. A row is
    complete when the period's end + N is on or before as_of_date. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

monthly as (
    {{ customer_retention_rate('occasions', 'month') | indent(4) }}
),

weekly as (
    {{ customer_retention_rate('occasions', 'week') | indent(4) }}
),

unioned as (
    select * from monthly
    union all
    select * from weekly
),

final as (
    select
        period_grain,
        period_start,
        customer_type,
        cast(window_days as int) as window_days,
        base_customers,
        retained_customers,
        retention_rate,
        is_complete
    from unioned
)

select * from final
