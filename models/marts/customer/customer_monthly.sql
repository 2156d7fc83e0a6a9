{#- Customer x month end (docs/definitions.md#customer-history): each customer's RFM
    segment, value tier, lifecycle stage, member tier and cumulative spend and
    occasions as of the last day of every month from their first purchase's month to
    the month holding as_of_date, whose row is the state as of as_of_date
    (is_complete_month false unless as_of_date is a month end). The rules are those of
    int_customer_state (int_customer_months_scored). A table: segment_migration and
    member_tier_history summarise it. -#}
{{ config(materialized='table') }}

with

scored as (
    select * from {{ ref('int_customer_months_scored') }}
),

final as (
    select
        customer_id,
        month_start,
        month_end_date,
        snapshot_date,
        is_complete_month,
        last_purchase_date,
        recency_days,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        cumulative_occasions,
        cumulative_orders,
        cumulative_net_spend,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        rfm_cell,
        rfm_segment,
        monetary_cume_dist,
        value_tier,
        member_tier_spend,
        member_tier
    from scored
)

select * from final
