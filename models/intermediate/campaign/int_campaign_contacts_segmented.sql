{#- Every campaign contact (int_campaign_contacts_measured) with the member's
    segments point-in-time, as of state_date = the day before the contact date:
    lifecycle stage and customer_type (the stage interval of
    int_lifecycle_intervals_derived holding state_date), age band (crm_age_years at state_date, seed age_bands) and
    member tier (net spend in the member_tier_window_days ending on state_date, seed
    member_tiers); RFM segment and cell from the campaign's RFM snapshot
    (int_campaign_rfm_snapshots_scored, the day before the campaign). A member
    who was not yet a customer then is 'prospect' in every purchase-based segment. -#}
{%- set tier_window_days = var('member_tier_window_days') | int -%}

with

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

lifecycle_intervals as (
    select * from {{ ref('int_lifecycle_intervals_derived') }}
),

rfm_snapshots as (
    select * from {{ ref('int_campaign_rfm_snapshots_scored') }}
),

members as (
    select * from {{ ref('int_members_unioned') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

tiers as (
    select * from {{ ref('member_tiers') }}
),

contacts_dated as (
    select
        *,
        {{ crm_customer_add_days(-1, 'contact_date') }} as state_date
    from contacts
),

stages as (
    select
        contacts_dated.campaign_id,
        contacts_dated.member_id,
        lifecycle_intervals.lifecycle_stage,
        lifecycle_intervals.customer_type
    from contacts_dated
    inner join lifecycle_intervals
        on
            contacts_dated.member_id = lifecycle_intervals.customer_id
            and contacts_dated.state_date >= lifecycle_intervals.valid_from
            and (lifecycle_intervals.valid_to is null or contacts_dated.state_date <= lifecycle_intervals.valid_to)
),

tier_spend as (
    select
        contacts_dated.campaign_id,
        contacts_dated.member_id,
        sum(occasions.net_amount) as tier_spend
    from contacts_dated
    inner join occasions
        on
            contacts_dated.member_id = occasions.customer_id
            and contacts_dated.state_date >= occasions.purchase_date
            and {{ crm_customer_add_days(-tier_window_days, 'contacts_dated.state_date') }} < occasions.purchase_date
    group by contacts_dated.campaign_id, contacts_dated.member_id
),

tier_ladder as (
    select
        tier,
        min_spend,
        lead(min_spend) over (order by min_spend, tier) as next_tier_min_spend
    from tiers
),

ages as (
    select
        contacts_dated.campaign_id,
        contacts_dated.member_id,
        {{ crm_age_years('members.birth_date', 'contacts_dated.state_date') }} as age
    from contacts_dated
    inner join members
        on contacts_dated.member_id = members.customer_id
    where members.birth_date is not null
),

final as (
    select
        contacts_dated.campaign_id,
        contacts_dated.member_id,
        contacts_dated.group_name,
        contacts_dated.channel,
        contacts_dated.contact_date,
        contacts_dated.state_date,
        contacts_dated.attended,
        contacts_dated.is_window_complete,
        contacts_dated.cost_per_contact,
        contacts_dated.incentive_cost_per_response,
        contacts_dated.is_responder,
        contacts_dated.response_orders,
        contacts_dated.response_revenue,
        ages.age,
        cast(coalesce(tier_spend.tier_spend, 0) as decimal(18, 2)) as member_tier_spend,
        coalesce(stages.lifecycle_stage, 'prospect') as lifecycle_stage,
        coalesce(stages.customer_type, 'prospect') as customer_type,
        coalesce(rfm_snapshots.rfm_segment, 'prospect') as rfm_segment,
        coalesce(rfm_snapshots.rfm_cell, 'prospect') as rfm_cell,
        coalesce(age_bands.age_band, 'unknown') as age_band,
        coalesce(tier_ladder.tier, 'unknown') as member_tier
    from contacts_dated
    left join stages
        on
            contacts_dated.campaign_id = stages.campaign_id
            and contacts_dated.member_id = stages.member_id
    left join rfm_snapshots
        on
            contacts_dated.campaign_id = rfm_snapshots.campaign_id
            and contacts_dated.member_id = rfm_snapshots.customer_id
    left join ages
        on
            contacts_dated.campaign_id = ages.campaign_id
            and contacts_dated.member_id = ages.member_id
    left join age_bands
        on {{ crm_age_band_matches('ages.age', 'age_bands') | indent(8) }}
    left join tier_spend
        on
            contacts_dated.campaign_id = tier_spend.campaign_id
            and contacts_dated.member_id = tier_spend.member_id
    left join tier_ladder
        on
            coalesce(tier_spend.tier_spend, 0) >= tier_ladder.min_spend
            and (
                tier_ladder.next_tier_min_spend is null
                or coalesce(tier_spend.tier_spend, 0) < tier_ladder.next_tier_min_spend
            )
)

select * from final
