{#- Customer mix of each store and period (long form of store_performance's mix):
    one row per store x period (month | fiscal year) x mix dimension (age_band |
    value_tier) x value with at least one buyer: buyers, their share of the store's
    buyers in the period, their revenue and its share. Age band and value tier are
    the customer's as of as_of_date (int_customer_state); a customer without one counts
    under 'unknown'. -#}

{%- set dimensions = ['age_band', 'value_tier'] %}

with

buyer_periods as (
    select * from {{ ref('int_store_buyer_periods_aggregated') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

enriched_buyers as (
    select
        buyer_periods.store_id,
        buyer_periods.period_grain,
        buyer_periods.period_start,
        buyer_periods.revenue,
        coalesce(customer_state.age_band, 'unknown') as age_band,
        coalesce(customer_state.value_tier, 'unknown') as value_tier
    from buyer_periods
    left join customer_state
        on buyer_periods.customer_id = customer_state.customer_id
),

mixed as (
    {%- for dimension in dimensions %}
    select
        store_id,
        period_grain,
        period_start,
        '{{ dimension }}' as mix_dimension,
        {{ dimension }} as mix_value,
        count(*) as buyers,
        sum(revenue) as revenue
    from enriched_buyers
    group by store_id, period_grain, period_start, {{ dimension }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

totals as (
    select
        *,
        sum(buyers) over (partition by store_id, period_grain, period_start, mix_dimension) as period_buyers,
        sum(revenue) over (partition by store_id, period_grain, period_start, mix_dimension) as period_revenue
    from mixed
),

final as (
    select
        period_grain,
        period_start,
        store_id,
        mix_dimension,
        mix_value,
        cast(buyers as {{ dbt.type_bigint() }}) as buyers,
        cast(buyers as double) / nullif(period_buyers, 0) as buyer_share,
        cast(revenue as decimal(18, 2)) as revenue,
        cast(revenue as double) / nullif(period_revenue, 0) as revenue_share
    from totals
)

select * from final
