{#- The CRM triggers read from raw activity (crm_triggers, issue 7), one row per
    member x trigger as of as_of_date, in the shape of the mart's trigger list:
      unpaid_order             orders still 'created' placed in the last
                               trigger_unpaid_order_days days (as_of_date included)
      intent_without_purchase  a visit / favorite / cart / inquiry event in the last
                               trigger_intent_days days and no purchase since the
                               day of the latest one
    The triggers that come from the customer state are in crm_triggers. -#}
{%- set unpaid_days = var('trigger_unpaid_order_days', 3) | int -%}
{%- set intent_days = var('trigger_intent_days', 7) | int -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

events as (
    select * from {{ ref('stg_crm__member_events') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

unpaid_orders as (
    select
        member_id as customer_id,
        'unpaid_order' as trigger_type,
        max(order_date) as event_date,
        cast(sum(amount) as decimal(18, 2)) as trigger_amount,
        {{ dbt.concat([dbt.cast('count(*)', dbt.type_string()), "' unpaid order(s)'"]) }} as trigger_detail
    from orders
    where
        status = 'created'
        and member_id is not null
        and order_date <= {{ crm_as_of_date() }}
        and order_date > {{ crm_customer_add_days(-unpaid_days, crm_as_of_date()) }}
    group by member_id
),

recent_intents as (
    select
        member_id,
        event_type,
        cast(occurred_at as date) as event_date,
        row_number() over (
            partition by member_id
            order by occurred_at desc, event_type asc
        ) as recency_rank
    from events
    where
        event_type in ('visit', 'favorite', 'cart', 'inquiry')
        and cast(occurred_at as date) <= {{ crm_as_of_date() }}
        and cast(occurred_at as date) > {{ crm_customer_add_days(-intent_days, crm_as_of_date()) }}
),

intents as (
    select
        recent_intents.member_id as customer_id,
        'intent_without_purchase' as trigger_type,
        recent_intents.event_date,
        cast(null as decimal(18, 2)) as trigger_amount,
        {{ dbt.concat(["'latest: '", 'recent_intents.event_type']) }} as trigger_detail
    from recent_intents
    left join customers
        on recent_intents.member_id = customers.customer_id
    where
        recent_intents.recency_rank = 1
        and (customers.last_purchase_date is null or customers.last_purchase_date < recent_intents.event_date)
),

final as (
    select * from unpaid_orders
    union all
    select * from intents
)

select * from final
