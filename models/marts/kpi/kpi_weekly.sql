{#- The weekly CRM monitor (docs/definitions.md#weekly-monitors): one row per week (Monday to
    Sunday) from the first purchase's week to the week holding as_of_date, weeks
    without purchases included. The 45-day repurchase rate is the seed's: among the
    week's buyers, the share with two or more occasions in the 45 days ending on the
    week's last day (or as_of_date); changes are this week / previous week. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

customer_weeks as (
    select * from {{ ref('int_customer_weeks_grouped') }}
),

weekly_orders as (
    {{ aov('occasions', 'week') | indent(4) }}
),

weekly_buyers as (
    select
        week_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as buyers,
        cast(sum(case when is_repeat_buyer then 1 else 0 end) as {{ dbt.type_bigint() }}) as repeat_buyers
    from customer_weeks
    group by week_start
),

joined as (
    select
        weekly_orders.period_start as week_start,
        weekly_orders.period_end as week_end,
        weekly_orders.orders_count,
        weekly_orders.revenue,
        weekly_orders.aov,
        weekly_orders.is_complete,
        coalesce(weekly_buyers.buyers, 0) as buyers,
        coalesce(weekly_buyers.repeat_buyers, 0) as repeat_buyers,
        cast(weekly_buyers.repeat_buyers as double) / nullif(weekly_buyers.buyers, 0) as repurchase_rate_45d
    from weekly_orders
    left join weekly_buyers
        on weekly_orders.period_start = weekly_buyers.week_start
),

changes as (
    select
        *,
        repurchase_rate_45d / nullif(lag(repurchase_rate_45d) over (order by week_start), 0)
            as repurchase_rate_change,
        aov / nullif(lag(aov) over (order by week_start), 0) as aov_change
    from joined
),

combined as (
    select
        *,
        repurchase_rate_change * aov_change as combined_change
    from changes
),

final as (
    select
        week_start,
        week_end,
        buyers,
        repeat_buyers,
        orders_count,
        revenue,
        aov,
        repurchase_rate_45d,
        repurchase_rate_change,
        aov_change,
        combined_change,
        is_complete
    from combined
)

select * from final
