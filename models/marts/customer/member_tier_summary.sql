{#- One row per member tier of seed member_tiers (empty tiers included): members
    (every member and customer, prospects in the base tier), their share, the
    distribution of the qualifying spend (net spend in the trailing tier window;
    quartiles by the nearest-rank method), and what the tier's discount costs:
    discount_cost = spend * (1 - discount) / discount, the list-price value given
    away to earn the tier's net spend, and discount_cost_share = discount_cost /
    spend, to compare with the tier's share of members and of spend. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

member_tiers as (
    select * from {{ ref('int_member_tiers_assigned') }}
),

tiers as (
    select * from {{ ref('member_tiers') }}
),

ranked as (
    select
        member_tier,
        tier_spend,
        is_near_upgrade,
        is_downgrade_risk,
        row_number() over (partition by member_tier order by tier_spend, customer_id) as spend_rank,
        count(*) over (partition by member_tier) as tier_members
    from member_tiers
),

tier_totals as (
    select
        member_tier,
        count(*) as members,
        sum(case when tier_spend > 0 then 1 else 0 end) as buyers,
        sum(tier_spend) as spend,
        min(tier_spend) as min_spend_observed,
        min(case when spend_rank >= ceil(0.25 * tier_members) then tier_spend end) as p25_spend,
        min(case when spend_rank >= ceil(0.50 * tier_members) then tier_spend end) as median_spend,
        min(case when spend_rank >= ceil(0.75 * tier_members) then tier_spend end) as p75_spend,
        max(tier_spend) as max_spend_observed,
        {{ crm_customer_money_div(crm_customer_cents('sum(tier_spend)'), 'count(*)') }} as avg_spend,
        sum(case when is_near_upgrade then 1 else 0 end) as near_upgrade_members,
        sum(case when is_downgrade_risk then 1 else 0 end) as downgrade_risk_members
    from ranked
    group by member_tier
),

overall as (
    select
        count(*) as members,
        sum(tier_spend) as spend
    from member_tiers
),

final as (
    select
        tiers.tier as member_tier,
        tiers.min_spend,
        tiers.discount,
        cast(coalesce(tier_totals.members, 0) as {{ dbt.type_bigint() }}) as members,
        coalesce(cast(tier_totals.members as double) / nullif(overall.members, 0), 0) as member_share,
        cast(coalesce(tier_totals.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
        cast(coalesce(tier_totals.spend, 0) as decimal(18, 2)) as spend,
        coalesce(cast(tier_totals.spend as double) / nullif(cast(overall.spend as double), 0), 0) as spend_share,
        cast(tier_totals.min_spend_observed as decimal(18, 2)) as min_member_spend,
        cast(tier_totals.p25_spend as decimal(18, 2)) as p25_member_spend,
        cast(tier_totals.median_spend as decimal(18, 2)) as median_member_spend,
        cast(tier_totals.p75_spend as decimal(18, 2)) as p75_member_spend,
        cast(tier_totals.max_spend_observed as decimal(18, 2)) as max_member_spend,
        tier_totals.avg_spend as avg_member_spend,
        {{ crm_customer_money_div(
            crm_customer_cents('coalesce(tier_totals.spend, 0)') ~ ' * ' ~ crm_customer_cents('1 - tiers.discount'),
            crm_customer_cents('tiers.discount'),
        ) }} as discount_cost,
        cast(1 - tiers.discount as double) / nullif(cast(tiers.discount as double), 0) as discount_cost_share,
        cast(coalesce(tier_totals.near_upgrade_members, 0) as {{ dbt.type_bigint() }}) as near_upgrade_members,
        cast(coalesce(tier_totals.downgrade_risk_members, 0) as {{ dbt.type_bigint() }}) as downgrade_risk_members,
        {{ crm_as_of_date() }} as as_of_date
    from tiers
    cross join overall
    left join tier_totals
        on tiers.tier = tier_totals.member_tier
)

select * from final
