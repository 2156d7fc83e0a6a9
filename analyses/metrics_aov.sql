{#- Analyst example: weekly average order value per sales channel with the aov macro,
    on the occasion grain of each channel (crm_purchase_occasions). Weeks start
    on Monday; weeks without orders show 0 orders and a null aov. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

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

occasions_by_channel as (
    {{ crm_purchase_occasions('purchases_by_channel', ['channel']) | indent(4) }}
),

weekly as (
    {{ aov('occasions_by_channel', 'week', partition_by=['channel']) | indent(4) }}
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
