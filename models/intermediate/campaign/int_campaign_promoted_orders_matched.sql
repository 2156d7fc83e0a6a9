{#- One row per product-focused campaign (int_campaigns_unioned.focus_level not
    null) x purchase holding the promoted product (focus_level 'product') or a line
    of the promoted category ('category'), over the whole history up to as_of_date
    (int_purchase_items_allocated, the purchase rule): the purchase's customer,
    date and time, and the promoted lines' allocated net amount and quantity. The
    one place the promoted-purchase rule lives: the response rule of
    int_campaign_contacts_measured and the product-focus marts read it. -#}
{{ config(materialized='table') }}

with

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

purchase_items as (
    select * from {{ ref('int_purchase_items_allocated') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

focused_campaigns as (
    select
        campaign_id,
        focus_level,
        promoted_product_id,
        promoted_category
    from campaigns
    where focus_level is not null
),

promoted_lines as (
    select
        focused_campaigns.campaign_id,
        purchase_items.order_id,
        purchase_items.customer_id,
        purchase_items.purchase_date,
        purchase_items.quantity,
        purchase_items.net_amount
    from focused_campaigns
    inner join purchase_items
        on
            (
                focused_campaigns.focus_level = 'product'
                and focused_campaigns.promoted_product_id = purchase_items.product_id
            )
            or (
                focused_campaigns.focus_level = 'category'
                and focused_campaigns.promoted_category = purchase_items.category
            )
),

promoted_orders as (
    select
        campaign_id,
        order_id,
        max(customer_id) as customer_id,
        max(purchase_date) as purchase_date,
        sum(quantity) as promoted_quantity,
        sum(net_amount) as promoted_net_amount
    from promoted_lines
    group by campaign_id, order_id
),

final as (
    select
        promoted_orders.campaign_id,
        promoted_orders.order_id,
        promoted_orders.customer_id,
        promoted_orders.purchase_date,
        coalesce(purchases.paid_at, purchases.ordered_at) as purchased_at,
        cast(promoted_orders.promoted_quantity as {{ dbt.type_bigint() }}) as promoted_quantity,
        cast(promoted_orders.promoted_net_amount as decimal(18, 2)) as promoted_net_amount
    from promoted_orders
    inner join purchases
        on promoted_orders.order_id = purchases.order_id
)

select * from final
