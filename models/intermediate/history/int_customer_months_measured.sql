{#- One row per customer and month end, from the month of the customer's first
    purchase to the month holding as_of_date (docs/definitions.md#customer-history):
    what the customer state needs as of that month's snapshot_date, the month's last
    day, or as_of_date for the month holding it (a partial month, is_complete_month
    false): last purchase, cumulative occasions, orders and net spend; frequency and
    monetary over the RFM window (var rfm_window_days, all history by default) and the
    member tier's trailing spend (var member_tier_window_days).
    No customer x day spine, and no join of every occasion to every month: each
    occasion enters the running totals in the month of its purchase and, for a
    trailing window of W days, leaves them in the month whose snapshot first lies W
    days or more after it (purchase_date + W, when that is on or before as_of_date).
    The changes are summed per customer and month, accumulated in month order, and
    each accumulated row stands for the months until the customer's next change. -#}
{%- set window_days = var('rfm_window_days', none) -%}
{%- set use_window = window_days is not none and (window_days | string | trim) not in ('', 'none', 'null') -%}
{%- set tier_window_days = var('member_tier_window_days') | int %}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

month_spine as (
    {{ crm_period_spine('month', '(select min(purchase_date) from occasions)', crm_as_of_date()) | indent(4) }}
),

month_ends as (
    select
        period_start as month_start,
        period_end as month_end_date,
        case
            when period_end > {{ crm_as_of_date() }} then {{ crm_as_of_date() }}
            else period_end
        end as snapshot_date,
        period_end <= {{ crm_as_of_date() }} as is_complete_month
    from month_spine
),

changes as (
    -- A purchase enters every total in its own month.
    select
        customer_id,
        {{ crm_period_start('month', 'purchase_date') }} as month_start,
        purchase_date as last_purchase_date,
        1 as occasions_change,
        orders_count as orders_change,
        net_amount as net_spend_change,
        net_amount as tier_spend_change,
        1 as window_occasions_change,
        net_amount as window_spend_change
    from occasions
    union all
    -- It leaves the member tier window member_tier_window_days later.
    select
        customer_id,
        {{ crm_period_start('month', crm_customer_add_days(tier_window_days, 'purchase_date')) }} as month_start,
        cast(null as date) as last_purchase_date,
        0 as occasions_change,
        0 as orders_change,
        0 as net_spend_change,
        -net_amount as tier_spend_change,
        0 as window_occasions_change,
        0 as window_spend_change
    from occasions
    where {{ crm_customer_add_days(tier_window_days, 'purchase_date') }} <= {{ crm_as_of_date() }}
    {%- if use_window %}
    union all
    -- And the RFM window rfm_window_days later.
    select
        customer_id,
        {{ crm_period_start('month', crm_customer_add_days(window_days | int, 'purchase_date')) }} as month_start,
        cast(null as date) as last_purchase_date,
        0 as occasions_change,
        0 as orders_change,
        0 as net_spend_change,
        0 as tier_spend_change,
        -1 as window_occasions_change,
        -net_amount as window_spend_change
    from occasions
    where {{ crm_customer_add_days(window_days | int, 'purchase_date') }} <= {{ crm_as_of_date() }}
    {%- endif %}
),

monthly_changes as (
    select
        customer_id,
        month_start,
        max(last_purchase_date) as last_purchase_date,
        sum(occasions_change) as occasions_change,
        sum(orders_change) as orders_change,
        sum(net_spend_change) as net_spend_change,
        sum(tier_spend_change) as tier_spend_change,
        sum(window_occasions_change) as window_occasions_change,
        sum(window_spend_change) as window_spend_change
    from changes
    group by customer_id, month_start
),

accumulated as (
    select
        customer_id,
        month_start,
        max(last_purchase_date) over customer_months as last_purchase_date,
        sum(occasions_change) over customer_months as cumulative_occasions,
        sum(orders_change) over customer_months as cumulative_orders,
        sum(net_spend_change) over customer_months as cumulative_net_spend,
        sum(tier_spend_change) over customer_months as member_tier_spend,
        sum(window_occasions_change) over customer_months as window_occasions,
        sum(window_spend_change) over customer_months as window_spend,
        coalesce(
            lead(month_start) over (partition by customer_id order by month_start),
            {{ crm_customer_add_days(1, crm_as_of_date()) }}
        ) as next_change_month_start
    from monthly_changes
    window customer_months as (
        partition by customer_id
        order by month_start
        rows between unbounded preceding and current row
    )
),

final as (
    select
        accumulated.customer_id,
        month_ends.month_start,
        month_ends.month_end_date,
        month_ends.snapshot_date,
        month_ends.is_complete_month,
        accumulated.last_purchase_date,
        cast(
            {{ dbt.datediff('accumulated.last_purchase_date', 'month_ends.snapshot_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as recency_days,
        cast(accumulated.cumulative_occasions as {{ dbt.type_bigint() }}) as cumulative_occasions,
        cast(accumulated.cumulative_orders as {{ dbt.type_bigint() }}) as cumulative_orders,
        cast(accumulated.cumulative_net_spend as decimal(18, 2)) as cumulative_net_spend,
        {%- if use_window %}
        cast(accumulated.window_occasions as {{ dbt.type_bigint() }}) as frequency,
        cast(accumulated.window_spend as decimal(18, 2)) as monetary,
        {%- else %}
        cast(accumulated.cumulative_occasions as {{ dbt.type_bigint() }}) as frequency,
        cast(accumulated.cumulative_net_spend as decimal(18, 2)) as monetary,
        {%- endif %}
        cast(accumulated.member_tier_spend as decimal(18, 2)) as member_tier_spend
    from accumulated
    inner join month_ends
        on
            accumulated.month_start <= month_ends.month_start
            and accumulated.next_change_month_start > month_ends.month_start
)

select * from final
