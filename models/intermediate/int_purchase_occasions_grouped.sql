{#- Purchase occasions: one row per (customer, purchase_date). Several orders on
    one day are one occasion; repeat behaviour is counted in occasions. A table:
    most customer models read it. -#}
{{ config(materialized='table') }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

grouped as (
    select
        customer_id,
        purchase_date,
        count(*) as orders_count,
        sum(net_amount) as net_amount
    from purchases
    group by customer_id, purchase_date
),

final as (
    select
        customer_id,
        purchase_date,
        orders_count,
        net_amount,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as occasion_number,
        lag(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date,
        lead(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as next_purchase_date
    from grouped
)

select * from final
