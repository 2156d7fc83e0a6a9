{#- Member tier of every member and customer (docs/definitions.md#customer-state): net spend in the
    trailing window (as_of_date - member_tier_window_days, as_of_date] (365 days by
    default, as_of_date included), the highest tier of seed member_tiers whose
    min_spend <= that spend, the next tier up, and the near-upgrade and
    downgrade-risk flags. Downgrade risk: the spend that stays in the window
    member_tier_downgrade_lookahead_days later (purchases after
    as_of_date - window + lookahead) is below the current tier's min_spend. -#}
{%- set window_days = var('member_tier_window_days') | int -%}
{%- set lookahead_days = var('member_tier_downgrade_lookahead_days') | int -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

members as (
    select * from {{ ref('int_members_unioned') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

tiers as (
    select * from {{ ref('member_tiers') }}
),

window_spend as (
    select
        customer_id,
        sum(net_amount) as tier_spend,
        sum(
            case
                when purchase_date > {{ crm_customer_add_days(lookahead_days - window_days, crm_as_of_date()) }}
                    then net_amount
                else 0
            end
        ) as spend_after_lookahead
    from occasions
    where purchase_date > {{ crm_customer_add_days(-window_days, crm_as_of_date()) }}
    group by customer_id
),

member_spend as (
    select
        members.customer_id,
        cast(coalesce(window_spend.tier_spend, 0) as decimal(18, 2)) as tier_spend,
        cast(coalesce(window_spend.spend_after_lookahead, 0) as decimal(18, 2)) as spend_after_lookahead
    from members
    left join window_spend
        on members.customer_id = window_spend.customer_id
),

tier_ladder as (
    {{ crm_member_tier_ladder('tiers') | indent(4) }}
),

final as (
    select
        member_spend.customer_id,
        {{ crm_as_of_date() }} as as_of_date,
        member_spend.tier_spend,
        member_spend.spend_after_lookahead,
        tier_ladder.tier as member_tier,
        tier_ladder.min_spend as member_tier_min_spend,
        tier_ladder.discount as member_tier_discount,
        tier_ladder.next_tier,
        tier_ladder.next_tier_min_spend,
        cast(tier_ladder.next_tier_min_spend - member_spend.tier_spend as decimal(18, 2)) as spend_to_next_tier,
        coalesce(
            tier_ladder.next_tier_min_spend - member_spend.tier_spend
            <= {{ var('member_tier_near_upgrade_share') }} * tier_ladder.next_tier_min_spend,
            false
        ) as is_near_upgrade,
        coalesce(member_spend.spend_after_lookahead < tier_ladder.min_spend, false) as is_downgrade_risk
    from member_spend
    left join tier_ladder
        on {{ crm_member_tier_matches('member_spend.tier_spend', 'tier_ladder') | indent(8) }}
)

select * from final
