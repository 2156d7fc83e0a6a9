{#- Analyst example: weekly average order value per sales channel with the aov macro,
    on a relation of orders (orders_column none: each row is one order). Weeks start
    on Monday; weeks without orders show 0 orders and a null aov. -#}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

{# partition columns must not be null: the macros join on them #}
purchases_by_channel as (
    select
        customer_id,
        purchase_date,
        net_amount,
        coalesce(channel, 'unknown') as channel
    from purchases
),

weekly as (
    {{ aov('purchases_by_channel', 'week', partition_by=['channel'], orders_column=none) | indent(4) }}
),

final as (
    select
        channel,
        period_start as week_start,
        orders_count,
        revenue,
        aov,
        is_complete
    from weekly
)

select * from final
