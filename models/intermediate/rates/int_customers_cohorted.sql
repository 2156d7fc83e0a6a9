{#- One row per customer: the first purchase and how the customer was acquired.
    acquisition_channel / first_store_id are the channel and store of the customer's
    first purchase (order); several orders on the first day: the earliest by
    coalesce(paid_at, ordered_at), then ordered_at, then order_id. A table: two marts
    read it and it windows over every purchase. -#}
{{ config(materialized='table') }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

ranked as (
    select
        customer_id,
        order_id,
        purchase_date,
        channel,
        store_id,
        row_number() over (
            partition by customer_id
            order by purchase_date, coalesce(paid_at, ordered_at), ordered_at, order_id
        ) as order_rank
    from purchases
),

final as (
    select
        customer_id,
        purchase_date as first_purchase_date,
        order_id as first_order_id,
        coalesce(channel, 'unknown') as acquisition_channel,
        coalesce(store_id, 'unknown') as first_store_id
    from ranked
    where order_rank = 1
)

select * from final
