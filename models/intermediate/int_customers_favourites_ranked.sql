{#- One row per customer (a member_id with at least one purchase up to as_of_date):
    favourite channel and category and the number of flash-sale purchases, for the
    customers mart. A table of its own so that the heaviest part of the customer
    360 (every order item joined to its purchase) runs early in the build, beside
    the other models, instead of at the end of the longest chain of the DAG. -#}
{{ config(materialized='table') }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

purchase_items as (
    select * from {{ ref('int_purchase_items_allocated') }}
),

channel_totals as (
    select
        customer_id,
        channel,
        count(*) as orders_count,
        sum(net_amount) as net_amount
    from purchases
    group by customer_id, channel
),

favourite_channels as (
    select
        customer_id,
        channel,
        row_number() over (
            partition by customer_id
            order by orders_count desc, net_amount desc, channel asc
        ) as channel_rank
    from channel_totals
    where channel is not null
),

flash_sale_orders as (
    select
        customer_id,
        sum(case when channel = 'flash_sale' then orders_count else 0 end) as flash_sale_orders
    from channel_totals
    group by customer_id
),

category_totals as (
    select
        customer_id,
        category,
        sum(amount) as amount,
        count(*) as items
    from purchase_items
    where category is not null
    group by customer_id, category
),

favourite_categories as (
    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id
            order by amount desc, items desc, category asc
        ) as category_rank
    from category_totals
),

final as (
    select
        flash_sale_orders.customer_id,
        favourite_categories.category as favourite_category,
        favourite_channels.channel as favourite_channel,
        cast(flash_sale_orders.flash_sale_orders as {{ dbt.type_bigint() }}) as flash_sale_orders
    from flash_sale_orders
    left join favourite_categories
        on
            flash_sale_orders.customer_id = favourite_categories.customer_id
            and favourite_categories.category_rank = 1
    left join favourite_channels
        on
            flash_sale_orders.customer_id = favourite_channels.customer_id
            and favourite_channels.channel_rank = 1
)

select * from final
