{#- Customer x category (docs/definitions.md#products-and-categories): one row per
    customer and category the customer bought up to as_of_date (no spine of categories
    never bought). Dates, occasions, quantity and spend of the category; its share of the
    customer's spend on purchase lines; the status: current while the days since the
    last purchase of the category are within the category's repurchase interval
    (int_category_intervals_measured), lapsed after; and heavy / light: heavy when the
    customer is among the top var category_heavy_user_share of the category's buyers by
    category spend (cume_dist over spend descending, ties share a tier). -#}

{%- set heavy_share = var('category_heavy_user_share') | float %}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

category_occasions as (
    select * from {{ ref('int_customer_category_occasions_grouped') }}
),

category_intervals as (
    select * from {{ ref('int_category_intervals_measured') }}
),

purchase_items as (
    select * from {{ ref('int_purchase_items_allocated') }}
),

customer_spend as (
    select
        customer_id,
        sum(net_amount) as spend
    from purchase_items
    group by customer_id
),

customer_categories as (
    select
        customer_id,
        category,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) as occasions_count,
        sum(orders_count) as orders_count,
        sum(quantity) as quantity,
        sum(net_amount) as spend
    from category_occasions
    group by customer_id, category
),

measured as (
    select
        customer_categories.*,
        {{ dbt.datediff('customer_categories.last_purchase_date', crm_as_of_date(), 'day') }}
            as days_since_last_purchase,
        category_intervals.repurchase_interval_days,
        cast(customer_categories.spend as double) / nullif(customer_spend.spend, 0) as customer_spend_share,
        cast(customer_categories.spend as double)
        / nullif(sum(customer_categories.spend) over (partition by customer_categories.category), 0)
            as category_spend_share,
        cume_dist() over (
            partition by customer_categories.category order by customer_categories.spend desc
        ) as category_spend_rank
    from customer_categories
    inner join category_intervals
        on customer_categories.category = category_intervals.category
    left join customer_spend
        on customer_categories.customer_id = customer_spend.customer_id
),

final as (
    select
        customer_id,
        category,
        first_purchase_date,
        last_purchase_date,
        cast(occasions_count as {{ dbt.type_bigint() }}) as occasions_count,
        cast(orders_count as {{ dbt.type_bigint() }}) as orders_count,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity,
        cast(spend as decimal(18, 2)) as spend,
        customer_spend_share,
        cast(days_since_last_purchase as int) as days_since_last_purchase,
        repurchase_interval_days,
        case
            when days_since_last_purchase <= repurchase_interval_days then 'current'
            else 'lapsed'
        end as category_status,
        category_spend_share,
        category_spend_rank,
        case
            when category_spend_rank <= {{ heavy_share }} then 'heavy'
            else 'light'
        end as user_tier,
        {{ crm_as_of_date() }} as as_of_date
    from measured
)

select * from final
