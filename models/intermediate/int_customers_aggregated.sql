{#- One row per customer (a member_id with at least one purchase up to as_of_date):
    first and last purchase, occasions, orders and net spend over all history, and
    the occasions in the trailing 365 days (as_of_date - 365, as_of_date] that give
    the purchase cycle. -#}
{{ config(materialized='table') }}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

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
        sum(
            case
                when purchase_date > {{ crm_customer_add_days(-365, crm_as_of_date()) }} then 1
                else 0
            end
        ) as occasions_365d,
        sum(orders_count) as orders_count,
        sum(net_amount) as monetary
    from occasions
    group by customer_id
)

select * from final
