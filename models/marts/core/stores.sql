{#- One row per store (int_stores_unioned: the stores input plus store_ids that
    appear only in kept orders, is_in_stores_input false), with the store's home
    members and customers and its purchases up to as_of_date. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

stores as (
    select * from {{ ref('int_stores_unioned') }}
),

members as (
    select * from {{ ref('int_members_unioned') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

home_members as (
    select
        members.home_store_id as store_id,
        count(*) as home_members,
        sum(case when customers.customer_id is not null then 1 else 0 end) as home_customers
    from members
    left join customers
        on members.customer_id = customers.customer_id
    where members.home_store_id is not null
    group by members.home_store_id
),

store_purchases as (
    select
        store_id,
        count(*) as orders_count,
        count(distinct customer_id) as buyers,
        sum(net_amount) as revenue,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date
    from purchases
    where store_id is not null
    group by store_id
),

final as (
    select
        stores.store_id,
        stores.store_name,
        stores.city,
        stores.store_type,
        stores.opened_at,
        stores.is_in_stores_input,
        cast(coalesce(home_members.home_members, 0) as {{ dbt.type_bigint() }}) as home_members,
        cast(coalesce(home_members.home_customers, 0) as {{ dbt.type_bigint() }}) as home_customers,
        cast(coalesce(store_purchases.orders_count, 0) as {{ dbt.type_bigint() }}) as orders_count,
        cast(coalesce(store_purchases.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
        cast(coalesce(store_purchases.revenue, 0) as decimal(18, 2)) as revenue,
        {{ crm_customer_money_div(crm_customer_cents('store_purchases.revenue'), 'store_purchases.orders_count') }}
            as aov,
        store_purchases.first_purchase_date,
        store_purchases.last_purchase_date,
        {{ crm_as_of_date() }} as as_of_date
    from stores
    left join home_members
        on stores.store_id = home_members.store_id
    left join store_purchases
        on stores.store_id = store_purchases.store_id
)

select * from final
