{#- One row per order line of a purchase as of as_of_date (the purchase rule:
    int_purchases_filtered), with the purchase's customer, store, channel and
    purchase_date. net_amount is the order's net amount (after refunds) shared among
    its lines pro rata to their amounts (evenly when every line is 0), rounded half
    up to the cent (exactly, on every engine), so category and product spend add up
    to net revenue within a cent per order. Purchases without lines have no rows here. Every product and category
    model reads this, not order items joined to purchases again. A table: seven models read it, and as a view each
    read redid the join, the two window sums and the rounding (about 14 s per read at
    10M orders). -#}
{{ config(materialized='table') }}

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

{# The line's share is weight / total: its amount over the order's line amounts, or
    1 over the number of lines when those are all 0. #}
weighted as (
    select
        *,
        case when order_lines_amount > 0 then amount else 1 end as share_weight,
        case when order_lines_amount > 0 then order_lines_amount else order_lines end as share_total
    from purchase_items
),

{# net x weight / total in cents, rounded half up, exactly: decimal division is a
    double on DuckDB (9.165 can come out as 9.16499...), so the double's rounding is
    only a first guess, moved by one cent when the exact decimal products say the
    half-cent boundary lies on the other side. #}
guessed as (
    select
        *,
        cast(round(order_net_amount * share_weight * 100 / share_total) as decimal(18, 0)) as guessed_cents,
        order_net_amount * share_weight * 100 as scaled_share_numerator
    from weighted
),

allocated as (
    select
        *,
        case
            when (guessed_cents + 0.5) * share_total <= scaled_share_numerator then guessed_cents + 1
            when (guessed_cents - 0.5) * share_total > scaled_share_numerator then guessed_cents - 1
            else guessed_cents
        end as net_cents
    from guessed
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
        cast(net_cents * 0.01 as decimal(18, 2)) as net_amount
    from allocated
)

select * from final
