{#- One row per customer: the first purchase and how the customer was acquired.
    acquisition_channel / first_store_id are the channel and store of the customer's
    first purchase (order); several orders on the first day: the earliest by
    coalesce(paid_at, ordered_at), then ordered_at, then order_id. Only the orders on
    the customer's first purchase date are ranked (int_customers_aggregated), not
    every purchase. A table: two marts read it. -#}
{{ config(materialized='table') }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

customers_aggregated as (
    select * from {{ ref('int_customers_aggregated') }}
),

first_day_purchases as (
    select purchases.*
    from purchases
    inner join customers_aggregated
        on
            purchases.customer_id = customers_aggregated.customer_id
            and purchases.purchase_date = customers_aggregated.first_purchase_date
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
            order by coalesce(paid_at, ordered_at), ordered_at, order_id
        ) as order_rank
    from first_day_purchases
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
