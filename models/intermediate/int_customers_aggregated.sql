{#- One row per customer (a member_id with at least one purchase up to as_of_date):
    first and last purchase, occasions, orders and net spend over all history. -#}
{{ config(materialized='table') }}

with

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

final as (
    select
        customer_id,
        {{ crm_as_of_date() }} as as_of_date,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) as occasions_count,
        sum(orders_count) as orders_count,
        sum(net_amount) as monetary
    from occasions
    group by customer_id
)

select * from final
