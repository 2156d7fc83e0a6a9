{#- Store comparison: how do the stores compare in one fiscal year? One row per
    store with its sales, buyers, AOV, frequency, repurchase rate, new-buyer and
    managed-buyer shares, member capture rate, main age band and high-value buyer
    share (store_performance, year rows), its archetype and like-for-like revenue
    change (store_archetypes), its rank by revenue and share of all stores' sales,
    and indexes against the all-store figure (100 = as the whole network: an
    aov_index of 120 means orders 20 % above the network's average order).
    Year: var store_comparison_year, default the latest complete fiscal year
    (the current year to date when no year is complete yet), e.g.
      dbt compile --select store_comparison --vars '{store_comparison_year: 2024}'
    For months instead of years use store_performance's period_grain = 'month' rows
    (and drop the archetype join, which is yearly). -#}
{%- set comparison_year = var('store_comparison_year', none) -%}

with

performance as (
    select * from {{ ref('store_performance') }}
),

archetypes as (
    select * from {{ ref('store_archetypes') }}
),

stores as (
    select * from {{ ref('stores') }}
),

year_rows as (
    select
        store_id,
        period_start,
        period_end,
        is_complete,
        revenue,
        buyers,
        orders_count,
        orders_per_buyer,
        frequency,
        aov,
        repurchase_rate,
        new_buyer_share,
        managed_buyer_share,
        member_capture_rate,
        main_age_band,
        main_age_band_share,
        top_value_buyer_share + high_value_buyer_share as high_value_buyer_share,
        extract(year from period_start) as fiscal_year
    from performance
    where period_grain = 'year'
),

chosen_year as (
    {%- if comparison_year is none %}
    select coalesce(max(case when is_complete then period_start end), max(period_start)) as period_start
    from year_rows
    {%- else %}
    select min(period_start) as period_start
    from year_rows
    where fiscal_year = {{ comparison_year | int }}
    {%- endif %}
),

compared as (
    select year_rows.*
    from year_rows
    inner join chosen_year
        on year_rows.period_start = chosen_year.period_start
),

network as (
    select
        sum(revenue) as revenue,
        sum(orders_count) as orders_count,
        sum(buyers) as buyers
    from compared
),

final as (
    select
        compared.store_id,
        stores.store_name,
        stores.city,
        stores.store_type,
        compared.fiscal_year,
        compared.period_start as year_start_date,
        compared.period_end as year_end_date,
        compared.is_complete,
        archetypes.store_archetype,
        compared.revenue,
        archetypes.revenue_change_ratio,
        compared.buyers,
        compared.orders_count,
        compared.orders_per_buyer,
        compared.frequency,
        compared.aov,
        compared.repurchase_rate,
        compared.new_buyer_share,
        compared.managed_buyer_share,
        compared.member_capture_rate,
        compared.high_value_buyer_share,
        compared.main_age_band,
        compared.main_age_band_share,
        rank() over (order by compared.revenue desc) as revenue_rank,
        cast(compared.revenue as double) / nullif(network.revenue, 0) as revenue_share,
        round(100 * compared.aov * network.orders_count / nullif(network.revenue, 0), 1) as aov_index,
        round(
            100 * compared.orders_per_buyer * network.buyers / nullif(network.orders_count, 0), 1
        ) as orders_per_buyer_index
    from compared
    cross join network
    left join archetypes
        on
            compared.store_id = archetypes.store_id
            and compared.period_start = archetypes.year_start_date
    left join stores
        on compared.store_id = stores.store_id
)

select * from final
order by revenue_rank asc, store_id asc
