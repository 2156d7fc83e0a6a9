{#- Purchases labelled by the customer's stage just before them (orders mart):
    reactivations from sleeping (wake-up) and lost (win-back) per month, with the
    revenue they brought. -#}

with

orders as (
    select * from {{ ref('orders') }}
),

reactivations as (
    select
        customer_id,
        stage_before_order,
        net_amount,
        cast({{ dbt.date_trunc('month', 'purchase_date') }} as date) as purchase_month
    from orders
    where
        is_purchase
        and stage_before_order in ('sleeping', 'lost')
),

final as (
    select
        purchase_month,
        stage_before_order,
        count(distinct customer_id) as customers,
        count(*) as orders_count,
        sum(net_amount) as revenue
    from reactivations
    group by purchase_month, stage_before_order
)

select * from final
