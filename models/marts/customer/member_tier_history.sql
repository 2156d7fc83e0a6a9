{#- Member tiers month by month (docs/definitions.md#customer-history): per month and
    tier of seed member_tiers (every tier, also when empty), the customers in the tier
    at the month's end (the tier pyramid, customer_monthly), their share, and how they
    got there since the previous month's end: new customers, stayed, upgraded in from
    a lower tier, downgraded in from a higher one; and the customers who left the tier
    upwards or downwards. Tiers rank by min_spend. -#}
{{ config(materialized='table') }}

with

monthly as (
    select * from {{ ref('customer_monthly') }}
),

tiers as (
    select * from {{ ref('member_tiers') }}
),

ladder as (
    select
        tier,
        min_spend,
        row_number() over (order by min_spend, tier) as tier_rank
    from tiers
),

paired as (
    select
        month_start,
        snapshot_date,
        is_complete_month,
        member_tier,
        lag(member_tier) over (partition by customer_id order by month_start) as previous_member_tier
    from monthly
),

moves as (
    {#- Customers per month and (previous tier, tier): a few rows per month, so the
        rank lookups and sums below run on counts. -#}
    select
        month_start,
        snapshot_date,
        is_complete_month,
        member_tier,
        previous_member_tier,
        count(*) as customers
    from paired
    group by month_start, snapshot_date, is_complete_month, member_tier, previous_member_tier
),

ranked as (
    select
        moves.month_start,
        moves.member_tier,
        moves.previous_member_tier,
        moves.customers,
        current_rung.tier_rank,
        previous_rung.tier_rank as previous_tier_rank
    from moves
    left join ladder as current_rung
        on moves.member_tier = current_rung.tier
    left join ladder as previous_rung
        on moves.previous_member_tier = previous_rung.tier
),

arrivals as (
    select
        month_start,
        member_tier,
        sum(customers) as customers,
        sum(case when previous_member_tier is null then customers else 0 end) as new_customers,
        sum(case when previous_tier_rank = tier_rank then customers else 0 end) as stayed_customers,
        sum(case when previous_tier_rank < tier_rank then customers else 0 end) as upgraded_in,
        sum(case when previous_tier_rank > tier_rank then customers else 0 end) as downgraded_in
    from ranked
    group by month_start, member_tier
),

departures as (
    select
        month_start,
        previous_member_tier as member_tier,
        sum(case when tier_rank > previous_tier_rank then customers else 0 end) as upgraded_out,
        sum(case when tier_rank < previous_tier_rank then customers else 0 end) as downgraded_out
    from ranked
    where previous_member_tier is not null
    group by month_start, previous_member_tier
),

months as (
    select distinct
        month_start,
        snapshot_date,
        is_complete_month
    from moves
),

grid as (
    select
        months.month_start,
        months.snapshot_date,
        months.is_complete_month,
        ladder.tier as member_tier,
        ladder.tier_rank,
        ladder.min_spend
    from months
    cross join ladder
),

final as (
    select
        grid.month_start,
        grid.member_tier,
        grid.snapshot_date,
        grid.is_complete_month,
        cast(grid.tier_rank as {{ dbt.type_int() }}) as tier_rank,
        cast(grid.min_spend as decimal(18, 2)) as tier_min_spend,
        cast(coalesce(arrivals.customers, 0) as {{ dbt.type_bigint() }}) as customers,
        cast(coalesce(arrivals.customers, 0) as double)
        / sum(coalesce(arrivals.customers, 0)) over (partition by grid.month_start) as customer_share,
        cast(coalesce(arrivals.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers,
        cast(coalesce(arrivals.stayed_customers, 0) as {{ dbt.type_bigint() }}) as stayed_customers,
        cast(coalesce(arrivals.upgraded_in, 0) as {{ dbt.type_bigint() }}) as upgraded_in,
        cast(coalesce(arrivals.downgraded_in, 0) as {{ dbt.type_bigint() }}) as downgraded_in,
        cast(coalesce(departures.upgraded_out, 0) as {{ dbt.type_bigint() }}) as upgraded_out,
        cast(coalesce(departures.downgraded_out, 0) as {{ dbt.type_bigint() }}) as downgraded_out
    from grid
    left join arrivals
        on
            grid.month_start = arrivals.month_start
            and grid.member_tier = arrivals.member_tier
    left join departures
        on
            grid.month_start = departures.month_start
            and grid.member_tier = departures.member_tier
)

select * from final
