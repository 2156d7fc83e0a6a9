{#- One row per customer and month end, from the month of the customer's first
    purchase to the month holding as_of_date (docs/definitions.md#customer-history):
    what the customer state needs as of that month's snapshot_date, the month's last
    day, or as_of_date for the month holding it (a partial month, is_complete_month
    false). Each customer's state at a date is read from the one occasion that rules
    then (the last purchase on or before it) with running totals, as the campaign RFM
    snapshots do, so no customer x day spine is built: last purchase, cumulative
    occasions, orders and net spend; frequency and monetary over the RFM window
    (var rfm_window_days, all history by default) and the member tier's trailing
    spend (var member_tier_window_days) as the running total at the snapshot minus
    the running total at the window's edge. -#}
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

snapshots as (
    select
        month_start,
        month_end_date,
        snapshot_date,
        is_complete_month,
        {%- if use_window %}
        {{ crm_customer_add_days(-(window_days | int), 'snapshot_date') }} as rfm_window_edge_date,
        {%- endif %}
        {{ crm_customer_add_days(-tier_window_days, 'snapshot_date') }} as tier_window_edge_date
    from month_ends
),

occasions_cumulated as (
    select
        customer_id,
        purchase_date,
        {#- The day the occasion stops ruling: its customer's next purchase date, or
            never (a date past any snapshot) for the latest one. -#}
        coalesce(next_purchase_date, {{ crm_customer_add_days(1, crm_as_of_date()) }}) as ruled_until_date,
        occasion_number,
        sum(orders_count) over (
            partition by customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as cumulative_orders,
        sum(net_amount) over (
            partition by customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as cumulative_net_spend
    from occasions
),

states as (
    {#- The occasion ruling on each snapshot date. -#}
    select
        occasions_cumulated.customer_id,
        snapshots.month_start,
        snapshots.month_end_date,
        snapshots.snapshot_date,
        snapshots.is_complete_month,
        snapshots.tier_window_edge_date,
        {%- if use_window %}
        snapshots.rfm_window_edge_date,
        {%- endif %}
        occasions_cumulated.purchase_date as last_purchase_date,
        occasions_cumulated.occasion_number,
        occasions_cumulated.cumulative_orders,
        occasions_cumulated.cumulative_net_spend
    from snapshots
    inner join occasions_cumulated
        on
            snapshots.snapshot_date >= occasions_cumulated.purchase_date
            and snapshots.snapshot_date < occasions_cumulated.ruled_until_date
),

tier_edge_states as (
    {#- The occasion ruling on the last day before the member tier window opens. -#}
    select
        occasions_cumulated.customer_id,
        snapshots.snapshot_date,
        occasions_cumulated.cumulative_net_spend
    from snapshots
    inner join occasions_cumulated
        on
            snapshots.tier_window_edge_date >= occasions_cumulated.purchase_date
            and snapshots.tier_window_edge_date < occasions_cumulated.ruled_until_date
),
{%- if use_window %}

rfm_edge_states as (
    {#- The occasion ruling on the last day before the RFM window opens. -#}
    select
        occasions_cumulated.customer_id,
        snapshots.snapshot_date,
        occasions_cumulated.occasion_number,
        occasions_cumulated.cumulative_orders,
        occasions_cumulated.cumulative_net_spend
    from snapshots
    inner join occasions_cumulated
        on
            snapshots.rfm_window_edge_date >= occasions_cumulated.purchase_date
            and snapshots.rfm_window_edge_date < occasions_cumulated.ruled_until_date
),
{%- endif %}

final as (
    select
        states.customer_id,
        states.month_start,
        states.month_end_date,
        states.snapshot_date,
        states.is_complete_month,
        states.last_purchase_date,
        cast(
            {{ dbt.datediff('states.last_purchase_date', 'states.snapshot_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as recency_days,
        cast(states.occasion_number as {{ dbt.type_bigint() }}) as cumulative_occasions,
        cast(states.cumulative_orders as {{ dbt.type_bigint() }}) as cumulative_orders,
        cast(states.cumulative_net_spend as decimal(18, 2)) as cumulative_net_spend,
        {%- if use_window %}
        cast(states.occasion_number - coalesce(rfm_edge_states.occasion_number, 0) as {{ dbt.type_bigint() }})
            as frequency,
        cast(
            states.cumulative_net_spend - coalesce(rfm_edge_states.cumulative_net_spend, 0) as decimal(18, 2)
        ) as monetary,
        {%- else %}
        cast(states.occasion_number as {{ dbt.type_bigint() }}) as frequency,
        cast(states.cumulative_net_spend as decimal(18, 2)) as monetary,
        {%- endif %}
        cast(
            states.cumulative_net_spend - coalesce(tier_edge_states.cumulative_net_spend, 0) as decimal(18, 2)
        ) as member_tier_spend
    from states
    left join tier_edge_states
        on
            states.customer_id = tier_edge_states.customer_id
            and states.snapshot_date = tier_edge_states.snapshot_date
    {%- if use_window %}
    left join rfm_edge_states
        on
            states.customer_id = rfm_edge_states.customer_id
            and states.snapshot_date = rfm_edge_states.snapshot_date
    {%- endif %}
)

select * from final
