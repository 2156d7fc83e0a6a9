{#- Purchases (docs/definitions.md#purchases-and-occasions): kept orders with status paid | shipped |
    completed, a member_id and net_amount > 0, purchased on or before as_of_date. -#}

with

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

final as (
    select
        order_id,
        member_id as customer_id,
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
    where
        is_purchase
        and purchase_date <= {{ crm_as_of_date_legacy() }}
)

select * from final
