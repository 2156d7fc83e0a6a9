{#- One row per kept order placed on or before as_of_date (all statuses, guests
    included), with its purchase facts as of as_of_date: the customer's purchase
    number, occasion number, days since the customer's previous occasion and the
    customer's lifecycle stage just before the order (from the previous
    occasion's recency on the purchase date; prospect before the first occasion),
    so a purchase can be labelled e.g. a reactivation from sleeping or lost.
    Incremental on DuckDB (macros/incremental/incremental_scope.sql): a run
    recomputes every order of the customers in scope and the changed guest
    orders, a table elsewhere. -#}
{{ config(
    materialized=crm_incremental_materialization(),
    incremental_strategy='crm_customer_scope',
    on_schema_change='fail',
    meta={'crm_incremental': {'customer_column': 'customer_id', 'order_column': 'order_id'}},
    post_hook="{{ crm_incremental_record_state() }}",
) }}
{{- crm_incremental_scope_refs() }}

with

orders as (
    select * from {{ ref('stg_crm__orders') }}
    {%- if is_incremental() %}
    where {{ crm_incremental_in_scope('member_id', 'order_id') }}
    {%- endif %}
),

purchases as {{ crm_cte_not_materialized() }} (
    select * from {{ ref('int_purchases_filtered') }}
    {%- if is_incremental() %}
    where {{ crm_incremental_in_scope('customer_id') }}
    {%- endif %}
),

occasions as {{ crm_cte_not_materialized() }} (
    select * from {{ ref('int_purchase_occasions_grouped') }}
    {%- if is_incremental() %}
    where {{ crm_incremental_in_scope('customer_id') }}
    {%- endif %}
),

purchase_facts as (
    {#- A purchase's number is the purchases before its occasion plus its place
        in the occasion (by payment time, then order_id). Most occasions hold one
        order and need no ranking: only the orders of occasions with several go
        through the window. The facts are joined to the wide order rows by order_id
        at the end, so no join or window holds every column of every order. -#}
    select
        purchases.order_id,
        occasions.purchase_date,
        occasions.occasion_number,
        occasions.previous_purchase_date,
        occasions.cumulative_orders_count as purchase_number
    from purchases
    inner join occasions
        on
            purchases.customer_id = occasions.customer_id
            and purchases.purchase_date = occasions.purchase_date
    where occasions.orders_count = 1
    union all
    select
        purchases.order_id,
        occasions.purchase_date,
        occasions.occasion_number,
        occasions.previous_purchase_date,
        occasions.cumulative_orders_count - occasions.orders_count + row_number() over (
            partition by purchases.customer_id, purchases.purchase_date
            order by coalesce(purchases.paid_at, purchases.ordered_at), purchases.order_id
        ) as purchase_number
    from purchases
    inner join occasions
        on
            purchases.customer_id = occasions.customer_id
            and purchases.purchase_date = occasions.purchase_date
    where occasions.orders_count > 1
),

numbered as (
    select
        orders.*,
        purchase_facts.purchase_date as occasion_date,
        purchase_facts.occasion_number,
        purchase_facts.previous_purchase_date,
        cast(
            {{ dbt.datediff('purchase_facts.previous_purchase_date', 'purchase_facts.purchase_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_since_previous_occasion,
        purchase_facts.purchase_number
    from orders
    left join purchase_facts
        on orders.order_id = purchase_facts.order_id
    where
        orders.order_date <= {{ crm_as_of_date() }}
        or purchase_facts.order_id is not null
),

final as (
    select
        order_id,
        member_id as customer_id,
        store_id,
        channel,
        status,
        ordered_at,
        paid_at,
        order_date,
        amount,
        refund_amount,
        cast(net_amount as decimal(18, 2)) as net_amount,
        occasion_date is not null as is_purchase,
        occasion_date as purchase_date,
        cast(purchase_number as {{ dbt.type_bigint() }}) as purchase_number,
        cast(occasion_number as {{ dbt.type_bigint() }}) as occasion_number,
        coalesce(purchase_number = 1, false) as is_first_purchase,
        coalesce(occasion_number = 1, false) as is_first_occasion,
        previous_purchase_date,
        days_since_previous_occasion,
        case
            when occasion_date is null then null
            when previous_purchase_date is null then 'prospect'
            else {{ crm_lifecycle_stage('days_since_previous_occasion') }}
        end as stage_before_order,
        {{ crm_as_of_date() }} as as_of_date
    from numbered
)

select * from final
