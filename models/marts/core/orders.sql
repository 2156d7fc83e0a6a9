{#- One row per kept order placed on or before as_of_date (all statuses, guests
    included), with its purchase facts as of as_of_date: the customer's purchase
    number, occasion number, days since the customer's previous occasion and the
    customer's lifecycle stage just before the order (from the previous
    occasion's recency on the purchase date; prospect before the first occasion),
    so a purchase can be labelled e.g. a reactivation from sleeping or lost. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

orders as (
    select * from {{ ref('int_orders_classified') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

numbered_purchases as (
    select
        order_id,
        customer_id,
        purchase_date,
        row_number() over (
            partition by customer_id
            order by purchase_date, coalesce(paid_at, ordered_at), order_id
        ) as purchase_number
    from purchases
),

purchase_facts as (
    select
        numbered_purchases.order_id,
        numbered_purchases.purchase_date,
        numbered_purchases.purchase_number,
        occasions.occasion_number,
        occasions.previous_purchase_date,
        cast(
            {{ dbt.datediff('occasions.previous_purchase_date', 'numbered_purchases.purchase_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_since_previous_occasion
    from numbered_purchases
    inner join occasions
        on
            numbered_purchases.customer_id = occasions.customer_id
            and numbered_purchases.purchase_date = occasions.purchase_date
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.store_id,
        orders.channel,
        orders.status,
        orders.ordered_at,
        orders.paid_at,
        orders.order_date,
        orders.amount,
        orders.refund_amount,
        cast(orders.net_amount as decimal(18, 2)) as net_amount,
        purchase_facts.order_id is not null as is_purchase,
        purchase_facts.purchase_date,
        cast(purchase_facts.purchase_number as {{ dbt.type_bigint() }}) as purchase_number,
        cast(purchase_facts.occasion_number as {{ dbt.type_bigint() }}) as occasion_number,
        coalesce(purchase_facts.purchase_number = 1, false) as is_first_purchase,
        coalesce(purchase_facts.occasion_number = 1, false) as is_first_occasion,
        purchase_facts.previous_purchase_date,
        purchase_facts.days_since_previous_occasion,
        case
            when purchase_facts.order_id is null then null
            when purchase_facts.previous_purchase_date is null then 'prospect'
            else {{ crm_lifecycle_stage('purchase_facts.days_since_previous_occasion') }}
        end as stage_before_order,
        {{ crm_as_of_date() }} as as_of_date
    from orders
    left join purchase_facts
        on orders.order_id = purchase_facts.order_id
)

select * from final
