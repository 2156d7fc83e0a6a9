{#- The last row of each customer in customer_monthly is the state as of as_of_date
    (the month holding as_of_date is taken on as_of_date), so it must equal the
    customer state (int_customer_state, customers only) column for column: every
    customer, recency, type, stage, RFM, value tier, member tier, cumulative spend
    and occasions. Fails on each row present on one side only, naming the side; on a
    month-end as_of_date this is the month-end row. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

monthly as (
    select * from {{ ref('customer_monthly') }}
),

state as (
    select * from {{ ref('int_customer_state') }}
),

monthly_now as (
    select
        customer_id,
        last_purchase_date,
        recency_days,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        cumulative_occasions as occasions_count,
        cumulative_orders as orders_count,
        cumulative_net_spend as revenue,
        frequency,
        monetary,
        rfm_cell,
        rfm_segment,
        value_tier,
        member_tier_spend,
        member_tier
    from monthly
    where snapshot_date = {{ crm_as_of_date() }}
),

state_now as (
    select
        customer_id,
        last_purchase_date,
        recency_days,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        occasions_count,
        orders_count,
        revenue,
        frequency,
        monetary,
        rfm_cell,
        rfm_segment,
        value_tier,
        member_tier_spend,
        member_tier
    from state
    where is_customer
),

only_monthly as (
    select * from monthly_now
    except
    select * from state_now
),

only_state as (
    select * from state_now
    except
    select * from monthly_now
),

final as (
    select
        'customer_monthly only' as side,
        customer_id,
        last_purchase_date,
        recency_days,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        occasions_count,
        orders_count,
        revenue,
        frequency,
        monetary,
        rfm_cell,
        rfm_segment,
        value_tier,
        member_tier_spend,
        member_tier
    from only_monthly
    union all
    select
        'int_customer_state only' as side,
        customer_id,
        last_purchase_date,
        recency_days,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        occasions_count,
        orders_count,
        revenue,
        frequency,
        monetary,
        rfm_cell,
        rfm_segment,
        value_tier,
        member_tier_spend,
        member_tier
    from only_state
)

select * from final
