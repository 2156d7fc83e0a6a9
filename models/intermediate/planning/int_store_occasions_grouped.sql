{#- Store purchase occasions: one row per (store_id, customer, purchase_date), the
    occasions of int_purchase_occasions_grouped split by the store of each purchase.
    Numbered within the customer's history AT THE STORE, so a customer's first
    occasion at a store is occasion_number 1 there (new to the store). Purchases
    without a store_id have no row here (they count for the whole business only). -#}
{{ config(materialized='table') }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

grouped as (
    select
        store_id,
        customer_id,
        purchase_date,
        count(*) as orders_count,
        sum(net_amount) as net_amount
    from purchases
    where store_id is not null
    group by store_id, customer_id, purchase_date
),

final as (
    select
        store_id,
        customer_id,
        purchase_date,
        cast(orders_count as {{ dbt.type_bigint() }}) as orders_count,
        cast(net_amount as decimal(18, 2)) as net_amount,
        row_number() over (
            partition by store_id, customer_id order by purchase_date
        ) as occasion_number,
        lag(purchase_date) over (
            partition by store_id, customer_id order by purchase_date
        ) as previous_purchase_date
    from grouped
)

select * from final
