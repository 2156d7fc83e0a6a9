{#- The customer state at each month end (int_customer_months_measured) scored by the
    rules int_customer_state applies as of as_of_date, among the customers of that
    snapshot: RFM scores (crm_rfm_score within the snapshot), cell and segment (seed
    rfm_segment_rules), value tier (crm_value_tier on cume_dist() over monetary
    descending within the snapshot), customer type, lifecycle stage and segment, and
    member tier (seed member_tiers on the trailing spend). -#}

with

measured as (
    select * from {{ ref('int_customer_months_measured') }}
),

segment_rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

tiers as (
    select * from {{ ref('member_tiers') }}
),

scored as (
    select
        *,
        {{ crm_rfm_score('recency_days', 'recency', partition_by='snapshot_date') }} as r_score,
        {{ crm_rfm_score('frequency', 'frequency', partition_by='snapshot_date') }} as f_score,
        {{ crm_rfm_score('monetary', 'monetary', partition_by='snapshot_date') }} as m_score,
        cume_dist() over (partition by snapshot_date order by monetary desc) as monetary_cume_dist
    from measured
),

cell_segments as (
    {{ crm_rfm_cell_segments('scored', 'segment_rules') | indent(4) }}
),

tier_ladder as (
    {{ crm_member_tier_ladder('tiers') | indent(4) }}
),

staged as (
    select
        *,
        {{ crm_customer_type('cumulative_occasions') }} as customer_type,
        {{ crm_lifecycle_stage('recency_days') }} as lifecycle_stage
    from scored
),

final as (
    select
        staged.customer_id,
        staged.month_start,
        staged.month_end_date,
        staged.snapshot_date,
        staged.is_complete_month,
        staged.last_purchase_date,
        staged.recency_days,
        staged.customer_type,
        staged.lifecycle_stage,
        {{ crm_lifecycle_segment('staged.customer_type', 'staged.lifecycle_stage') }} as lifecycle_segment,
        staged.cumulative_occasions,
        staged.cumulative_orders,
        staged.cumulative_net_spend,
        staged.frequency,
        staged.monetary,
        staged.r_score,
        staged.f_score,
        staged.m_score,
        {{ dbt.concat([
            dbt.cast('staged.r_score', dbt.type_string()),
            dbt.cast('staged.f_score', dbt.type_string()),
            dbt.cast('staged.m_score', dbt.type_string()),
        ]) }} as rfm_cell,
        cell_segments.rfm_segment,
        cast(staged.monetary_cume_dist as double) as monetary_cume_dist,
        {{ crm_value_tier('staged.monetary_cume_dist') | indent(8) }} as value_tier,
        staged.member_tier_spend,
        tier_ladder.tier as member_tier
    from staged
    left join cell_segments
        on
            staged.r_score = cell_segments.r_score
            and staged.f_score = cell_segments.f_score
            and staged.m_score = cell_segments.m_score
    left join tier_ladder
        on {{ crm_member_tier_matches('staged.member_tier_spend', 'tier_ladder') | indent(8) }}
)

select * from final
