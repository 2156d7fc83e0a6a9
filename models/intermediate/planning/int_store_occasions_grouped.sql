{#- Store purchase occasions: one row per (store_id, customer, purchase_date), the
    occasion grain (crm_purchase_occasions) with the store as a partition: numbered
    within the customer's history AT THE STORE, so a customer's first occasion at a
    store is occasion_number 1 there (new to the store). Purchases without a store_id
    have no row here (they count for the whole business only). -#}
{{ config(materialized='table') }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

store_purchases as (
    select
        store_id,
        customer_id,
        purchase_date,
        net_amount
    from purchases
    where store_id is not null
),

final as (
    {{ crm_purchase_occasions('store_purchases', ['store_id']) | indent(4) }}
)

select * from final
