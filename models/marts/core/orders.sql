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

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
    {%- if is_incremental() %}
    where {{ crm_incremental_in_scope('customer_id') }}
    {%- endif %}
),

{# A purchase is an order that falls on one of its customer's occasions:
    int_purchase_occasions_grouped holds exactly the purchase dates up to
    as_of_date (purchase_date is null on other orders), so one join gives the
    occasion facts and the purchase flag, and the purchases are numbered in the
    same pass over the orders. #}
matched as (
    select
        orders.*,
        occasions.occasion_number,
        occasions.previous_purchase_date,
        occasions.customer_id is not null as is_counted_purchase
    from orders
    left join occasions
        on
            orders.member_id = occasions.customer_id
            and orders.purchase_date = occasions.purchase_date
),

numbered as (
    select
        *,
        case
            when is_counted_purchase then row_number() over (
                partition by member_id, is_counted_purchase
                order by purchase_date, coalesce(paid_at, ordered_at), order_id
            )
        end as purchase_number,
        cast(
            {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_since_previous_occasion
    from matched
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
        is_counted_purchase as is_purchase,
        case when is_counted_purchase then purchase_date end as purchase_date,
        cast(purchase_number as {{ dbt.type_bigint() }}) as purchase_number,
        cast(occasion_number as {{ dbt.type_bigint() }}) as occasion_number,
        coalesce(purchase_number = 1, false) as is_first_purchase,
        coalesce(occasion_number = 1, false) as is_first_occasion,
        previous_purchase_date,
        days_since_previous_occasion,
        case
            when not is_counted_purchase then null
            when previous_purchase_date is null then 'prospect'
            else {{ crm_lifecycle_stage('days_since_previous_occasion') }}
        end as stage_before_order,
        {{ crm_as_of_date() }} as as_of_date
    from numbered
    where
        order_date <= {{ crm_as_of_date() }}
        or is_counted_purchase
)

select * from final
