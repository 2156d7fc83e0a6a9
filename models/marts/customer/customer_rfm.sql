{#- One row per customer (a purchase up to as_of_date): recency, frequency and
    monetary, their scores, cell and segment, value tier, purchase cycle and member
    tier (docs/definitions.md#customer-state), projected from the customer state
    (int_customer_state, where the rules are). frequency, orders_count and monetary
    count the RFM window (as_of_date - rfm_window_days, as_of_date], all history by
    default; recency and first / last purchase dates are over all history. -#}

with

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

final as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        window_orders_count as orders_count,
        monetary,
        r_score,
        f_score,
        m_score,
        rfm_cell,
        rfm_segment,
        value_tier,
        purchase_cycle_days,
        avg_purchase_interval_days,
        overdue_ratio,
        purchase_cycle_status,
        member_tier,
        monetary_cume_dist,
        member_tier_spend,
        next_tier,
        spend_to_next_tier,
        is_near_upgrade,
        is_downgrade_risk
    from customer_state
    where is_customer
)

select * from final
