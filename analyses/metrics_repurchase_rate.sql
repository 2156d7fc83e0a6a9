{#- Analyst example: repurchase rates with the repurchase_rate macro.
    1. Quarterly repurchase rate of each store, new vs returning buyers, on the
       occasion grain partitioned by store (crm_purchase_occasions): each store's own
       history ("new" = first purchase at that store).
    2. The 90-day repurchase rate at the end of every month (trailing_repurchase_rate). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

{# partition columns must not be null: the macros join on them #}
purchases_by_store as (
    select
        customer_id,
        purchase_date,
        net_amount,
        coalesce(store_id, 'unknown') as store_id
    from purchases
),

occasions_by_store as (
    {{ crm_purchase_occasions('purchases_by_store', ['store_id']) | indent(4) }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

by_store as (
    {{ repurchase_rate(
        'occasions_by_store', 'quarter', split_customer_type=true, partition_by=['store_id']
    ) | indent(4) }}
),

trailing_90_days as (
    {{ trailing_repurchase_rate('occasions', 90, period_grain='month') | indent(4) }}
),

final as (
    select
        by_store.store_id,
        by_store.period_start as as_of_period,
        by_store.customer_type,
        by_store.buyers,
        by_store.repurchase_rate
    from by_store
    union all
    select
        'all' as store_id,
        trailing_90_days.at_date as as_of_period,
        'all' as customer_type,
        trailing_90_days.buyers,
        trailing_90_days.repurchase_rate
    from trailing_90_days
)

select * from final
