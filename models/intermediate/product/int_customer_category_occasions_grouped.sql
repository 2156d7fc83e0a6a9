{#- Category occasions: one row per customer x category x purchase_date, from the
    purchase lines (int_purchase_items_allocated) as of as_of_date. Lines without a
    category are left out. Each row knows the customer's previous and next occasion in
    the same category, so gaps (repurchase intervals) and lapses are one column away.
    A table: the category intervals, customer_category, category_performance and the
    baskets all read it. -#}
{{ config(materialized='table') }}

with

purchase_items as (
    select * from {{ ref('int_purchase_items_allocated') }}
),

grouped as (
    select
        customer_id,
        category,
        purchase_date,
        count(distinct order_id) as orders_count,
        sum(quantity) as quantity,
        sum(net_amount) as net_amount
    from purchase_items
    where category is not null
    group by customer_id, category, purchase_date
),

final as (
    select
        customer_id,
        category,
        purchase_date,
        orders_count,
        quantity,
        cast(net_amount as decimal(18, 2)) as net_amount,
        row_number() over (
            partition by customer_id, category order by purchase_date
        ) as occasion_number,
        lag(purchase_date) over (
            partition by customer_id, category order by purchase_date
        ) as previous_purchase_date,
        lead(purchase_date) over (
            partition by customer_id, category order by purchase_date
        ) as next_purchase_date
    from grouped
)

select * from final
