{#- The weekly CRM monitor (DESIGN.md sections 4-5): one row per week (Monday to
    Sunday) from the first purchase's week to the week holding as_of_date, weeks
    without purchases included. The 45-day repurchase rate is taken at the week's
    last day; changes are this week / previous week. -#}

with

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

weekly_orders as (
    {{ aov('occasions', 'week', prepared=true) | indent(4) }}
),

weekly_buyers as (
    {{ repurchase_rate('occasions', 'week', prepared=true) | indent(4) }}
),

trailing_repurchase as (
    {{ repurchase_rate(
        'occasions', 'week', window_days=var('repurchase_window_days'), prepared=true
    ) | indent(4) }}
),

joined as (
    select
        weekly_orders.period_start as week_start,
        weekly_orders.period_end as week_end,
        weekly_buyers.buyers,
        weekly_orders.orders_count,
        weekly_orders.revenue,
        weekly_orders.aov,
        trailing_repurchase.buyers as buyers_45d,
        trailing_repurchase.repeat_buyers as repeat_buyers_45d,
        trailing_repurchase.repurchase_rate as repurchase_rate_45d,
        weekly_orders.is_complete
    from weekly_orders
    inner join weekly_buyers
        on weekly_orders.period_start = weekly_buyers.period_start
    inner join trailing_repurchase
        on weekly_orders.period_end = trailing_repurchase.at_date
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
        orders_count,
        revenue,
        aov,
        buyers_45d,
        repeat_buyers_45d,
        repurchase_rate_45d,
        repurchase_rate_change,
        aov_change,
        combined_change,
        is_complete
    from combined
)

select * from final
