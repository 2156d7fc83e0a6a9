{#- One row per value tier (top, high, middle, low; empty tiers included):
    customers, revenue and their shares, the monetary range, cumulative shares from
    the top tier down, and the Pareto view: pareto_customer_share = the smallest
    share of customers (by monetary, highest first) whose revenue reaches
    pareto_revenue_share (80 %) of all revenue. Customers and their RFM monetary
    come from the customer state (int_customer_state). -#}
{%- set tiers = ['top', 'high', 'middle', 'low'] -%}
{%- set pareto_revenue_share = 0.8 -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

rfm as (
    select
        customer_id,
        monetary,
        value_tier
    from customer_state
    where is_customer
),

tiers as (
    {%- for tier in tiers %}
    select
        {{ loop.index }} as tier_order,
        '{{ tier }}' as value_tier
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

tier_totals as (
    select
        value_tier,
        count(*) as customers,
        sum(monetary) as revenue,
        min(monetary) as min_monetary,
        max(monetary) as max_monetary,
        {{ crm_customer_money_div(crm_customer_cents('sum(monetary)'), 'count(*)') }} as avg_monetary
    from rfm
    group by value_tier
),

overall as (
    select
        count(*) as customers,
        sum(monetary) as revenue
    from rfm
),

ranked as (
    select
        monetary,
        row_number() over (order by monetary desc, customer_id asc) as customer_rank,
        sum(monetary) over (
            order by monetary desc, customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_revenue
    from rfm
),

pareto as (
    select min(ranked.customer_rank) as customers_to_pareto
    from ranked
    cross join overall
    where ranked.cumulative_revenue >= {{ pareto_revenue_share }} * overall.revenue
),

tiered as (
    select
        tiers.tier_order,
        tiers.value_tier,
        tier_totals.min_monetary,
        tier_totals.max_monetary,
        tier_totals.avg_monetary,
        coalesce(tier_totals.customers, 0) as customers,
        coalesce(tier_totals.revenue, 0) as revenue
    from tiers
    left join tier_totals
        on tiers.value_tier = tier_totals.value_tier
),

cumulated as (
    select
        *,
        sum(customers) over (
            order by tier_order rows between unbounded preceding and current row
        ) as cumulative_customers,
        sum(revenue) over (
            order by tier_order rows between unbounded preceding and current row
        ) as cumulative_revenue
    from tiered
),

final as (
    select
        cumulated.value_tier,
        cast(cumulated.customers as {{ dbt.type_bigint() }}) as customers,
        coalesce(cast(cumulated.customers as double) / nullif(overall.customers, 0), 0) as customer_share,
        cast(cumulated.revenue as decimal(18, 2)) as revenue,
        coalesce(cast(cumulated.revenue as double) / nullif(cast(overall.revenue as double), 0), 0)
            as revenue_share,
        cast(cumulated.min_monetary as decimal(18, 2)) as min_monetary,
        cast(cumulated.max_monetary as decimal(18, 2)) as max_monetary,
        cumulated.avg_monetary,
        coalesce(cast(cumulated.cumulative_customers as double) / nullif(overall.customers, 0), 0)
            as cumulative_customer_share,
        coalesce(cast(cumulated.cumulative_revenue as double) / nullif(cast(overall.revenue as double), 0), 0)
            as cumulative_revenue_share,
        cast({{ pareto_revenue_share }} as double) as pareto_revenue_share,
        cast(pareto.customers_to_pareto as double) / nullif(overall.customers, 0) as pareto_customer_share,
        cumulated.tier_order,
        {{ crm_as_of_date() }} as as_of_date
    from cumulated
    cross join overall
    cross join pareto
)

select * from final
