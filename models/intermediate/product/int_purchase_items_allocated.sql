{#- One row per order line of a purchase as of as_of_date (the purchase rule:
    int_purchases_filtered), with the purchase's customer, store, channel and
    purchase_date. net_amount is the order's net amount (after refunds) shared among
    its lines pro rata to their amounts (evenly when every line is 0), rounded to the
    cent, so category and product spend add up to net revenue within a cent per
    order. Purchases without lines have no rows here. Every product and category
    model reads this, not order items joined to purchases again. -#}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

order_items as (
    select * from {{ ref('stg_crm__order_items') }}
),

purchase_items as (
    select
        purchases.order_id,
        order_items.line_number,
        purchases.customer_id,
        purchases.store_id,
        purchases.channel,
        purchases.purchase_date,
        order_items.product_id,
        order_items.category,
        order_items.quantity,
        order_items.amount,
        purchases.net_amount as order_net_amount,
        sum(order_items.amount) over (partition by purchases.order_id) as order_lines_amount,
        count(*) over (partition by purchases.order_id) as order_lines
    from purchases
    inner join order_items
        on purchases.order_id = order_items.order_id
),

final as (
    select
        order_id,
        line_number,
        customer_id,
        store_id,
        channel,
        purchase_date,
        product_id,
        category,
        quantity,
        amount,
        cast(round(
            case
                when order_lines_amount > 0 then order_net_amount * amount / order_lines_amount
                else order_net_amount / order_lines
            end, 2
        ) as decimal(18, 2)) as net_amount
    from purchase_items
)

select * from final
