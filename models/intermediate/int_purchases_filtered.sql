{#- Purchases (docs/definitions.md#purchases-and-occasions): kept orders with status paid | shipped |
    completed, a member_id and net_amount > 0, purchased on or before as_of_date
    (int_orders_classified holds the rule). A table: a dozen models read it, and as a view each read
    redid staging's typing and the classification of every kept order. -#}
{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_classified') }}
),

final as (
    select
        order_id,
        customer_id,
        store_id,
        channel,
        status,
        ordered_at,
        paid_at,
        purchase_date,
        amount,
        refund_amount,
        net_amount
    from orders
    where is_purchase
)

select * from final
