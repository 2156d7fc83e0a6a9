{#- The monthly page of the CRM report: per month from the first purchase's month to
    the month holding as_of_date, buyers (new / returning), orders, revenue, AOV,
    the active-customer ARPU (the month's revenue / its buyers), the trailing active
    customers (an occasion in the trailing var active_customer_window_days days,
    default 365, up to the month's last day) and the revenue per trailing active
    customer, the month's repurchase rate, the 3/6/12-month retention of the cohorts
    that started 3/6/12 months earlier, and the wake-up (sleeping) and win-back (lost)
    rates. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

monthly_orders as (
    {{ aov('occasions', 'month') | indent(4) }}
),

monthly_buyers as (
    {{ repurchase_rate('occasions', 'month', split_customer_type=true) | indent(4) }}
),

monthly_arpu as (
    {{ active_customer_arpu('occasions', 'month') | indent(4) }}
),

trailing_active as (
    {{ trailing_repurchase_rate('occasions', var('active_customer_window_days'), period_grain='month') | indent(4) }}
),

cohort_retention as (
    {{ retention_rate('occasions', 'month', 'exact', [3, 6, 12]) | indent(4) }}
),

reactivation as (
    {{ reactivation_rate('occasions', 'month', ['sleeping', 'lost']) | indent(4) }}
),

buyers_pivoted as (
    select
        period_start,
        max(case when customer_type = 'all' then buyers end) as buyers,
        max(case when customer_type = 'new' then buyers end) as new_buyers,
        max(case when customer_type = 'returning' then buyers end) as returning_buyers,
        max(case when customer_type = 'all' then repeat_buyers end) as repeat_buyers,
        max(case when customer_type = 'all' then repurchase_rate end) as repurchase_rate
    from monthly_buyers
    group by period_start
),

retention_pivoted as (
    select
        period_start,
        max(case when period_number = 3 then retention_rate end) as retention_rate_3m,
        max(case when period_number = 6 then retention_rate end) as retention_rate_6m,
        max(case when period_number = 12 then retention_rate end) as retention_rate_12m
    from cohort_retention
    group by period_start
),

reactivation_pivoted as (
    select
        period_start,
        max(case when from_stage = 'sleeping' then customers_at_start end) as sleeping_customers_at_start,
        max(case when from_stage = 'sleeping' then reactivation_rate end) as wake_up_rate,
        max(case when from_stage = 'lost' then customers_at_start end) as lost_customers_at_start,
        max(case when from_stage = 'lost' then reactivation_rate end) as win_back_rate
    from reactivation
    group by period_start
),

final as (
    select
        monthly_orders.period_start as month_start,
        monthly_orders.period_end as month_end,
        buyers_pivoted.buyers,
        buyers_pivoted.new_buyers,
        buyers_pivoted.returning_buyers,
        buyers_pivoted.repeat_buyers,
        buyers_pivoted.repurchase_rate,
        monthly_orders.orders_count,
        monthly_orders.revenue,
        monthly_orders.aov,
        monthly_arpu.active_customer_arpu,
        trailing_active.buyers as trailing_active_customers,
        retention_pivoted.retention_rate_3m,
        retention_pivoted.retention_rate_6m,
        retention_pivoted.retention_rate_12m,
        reactivation_pivoted.sleeping_customers_at_start,
        reactivation_pivoted.wake_up_rate,
        reactivation_pivoted.lost_customers_at_start,
        reactivation_pivoted.win_back_rate,
        monthly_orders.is_complete,
        cast(monthly_orders.revenue as double) / nullif(trailing_active.buyers, 0)
            as trailing_active_customer_arpu
    from monthly_orders
    inner join buyers_pivoted
        on monthly_orders.period_start = buyers_pivoted.period_start
    inner join monthly_arpu
        on monthly_orders.period_start = monthly_arpu.period_start
    inner join trailing_active
        on monthly_orders.period_end = trailing_active.at_date
    inner join reactivation_pivoted
        on monthly_orders.period_start = reactivation_pivoted.period_start
    left join retention_pivoted
        on monthly_orders.period_start = retention_pivoted.period_start
)

select * from final
