{#- Customer 360 for BI: one row per member or customer as of as_of_date
    (prospects and orphan customers included), projected from the customer state
    (int_customer_state): member attributes without PII, purchase summary, favourite
    category and channel, the current RFM, member tier and lifecycle columns, and the
    CLV flags, p_alive, churn probability and expected next order date where the
    target runs the CLV fit; elsewhere (Spark) those columns are null. -#}

with

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

final as (
    select
        customer_id,
        as_of_date,
        is_member,
        joined_date,
        tenure_days,
        age,
        age_band,
        gender,
        city,
        city_tier,
        home_store_id,
        referred_by_member_id,
        sms_opt_in,
        email_opt_in,
        first_purchase_date,
        last_purchase_date,
        occasions_count,
        orders_count,
        revenue,
        aov,
        favourite_category,
        favourite_channel,
        flash_sale_order_share,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        recency_days,
        loyalty_level,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        rfm_cell,
        rfm_segment,
        value_tier,
        avg_purchase_interval_days,
        overdue_ratio,
        purchase_cycle_status,
        member_tier,
        member_tier_spend,
        next_tier,
        spend_to_next_tier,
        is_near_upgrade,
        is_downgrade_risk,
        is_hidden_gem,
        is_at_risk_high_value,
        p_alive,
        churn_probability,
        expected_next_order_date
    from customer_state
)

select * from final
