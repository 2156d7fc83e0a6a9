{#- Store (counter) performance: one row per store x period, period_grain month
    (calendar months) and year (fiscal years), from the period of the store's first
    sale to the one holding as_of_date (periods without sales included). Sales,
    buyers, frequency, AOV; new (first occasion at the store in the period) vs
    returning buyers; repurchase rate; customer mix (value tiers, main age band,
    membership tenure); and the managed-customer measures: share of the store's
    buyers it manages (members.home_store_id), share of its managed customers' repeat
    purchases made at the store, and the member capture rate (sales orders with a
    member_id / all sales orders at the store). Customer attributes (age band, value
    tier, home store) are as of as_of_date, from the customers mart. #}

{%- set grains = ['month', 'year'] %}
{%- set value_tiers = ['top', 'high', 'middle', 'low'] %}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

buyer_periods as (
    select * from {{ ref('int_store_buyer_periods_aggregated') }}
),

sales_orders as (
    select * from {{ ref('int_store_sales_filtered') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

{# The customer state: age band, value tier, home store and join date as of as_of_date. #}
customers as (
    select * from {{ ref('int_customer_state') }}
),

store_starts as (
    select
        store_id,
        min(sale_date) as first_sale_date
    from sales_orders
    group by store_id
),

bounds as (
    select
        min(first_sale_date) as first_date,
        {{ crm_fiscal_year('min(first_sale_date)') }} as first_year,
        {{ crm_fiscal_year(crm_as_of_date()) }} as last_year
    from store_starts
),

months as (
    {{ crm_period_spine('month', '(select bounds.first_date from bounds)', crm_as_of_date()) | indent(4) }}
),

years as (
    {{ crm_fiscal_year_spine('(select first_year from bounds)', '(select last_year from bounds)') | indent(4) }}
),

periods as (
    select
        'month' as period_grain,
        period_start,
        period_end
    from months
    union all
    select
        'year' as period_grain,
        {{ crm_fiscal_year_start('fiscal_year') }} as period_start,
        {{ crm_fiscal_year_end('fiscal_year') }} as period_end
    from years
),

grid as (
    select
        store_starts.store_id,
        periods.period_grain,
        periods.period_start,
        periods.period_end
    from store_starts
    inner join periods
        on store_starts.first_sale_date <= periods.period_end
),

enriched_buyers as (
    select
        buyer_periods.*,
        customers.age_band,
        customers.value_tier,
        coalesce(customers.home_store_id = buyer_periods.store_id, false) as is_managed,
        case
            when customers.joined_date <= least(buyer_periods.period_end, {{ crm_as_of_date() }})
                then {{ dbt.datediff(
                    'customers.joined_date',
                    'least(buyer_periods.period_end, ' ~ crm_as_of_date() ~ ')',
                    'day'
                ) }}
        end as tenure_days
    from buyer_periods
    left join customers
        on buyer_periods.customer_id = customers.customer_id
),

store_buyers as (
    select
        store_id,
        period_grain,
        period_start,
        count(*) as buyers,
        sum(case when is_new_to_store then 1 else 0 end) as new_buyers,
        sum(case when occasions_count >= 2 then 1 else 0 end) as repeat_buyers,
        sum(occasions_count) as occasions_count,
        sum(orders_count) as orders_count,
        sum(revenue) as revenue,
        sum(case when is_managed then 1 else 0 end) as managed_buyers,
        avg(cast(tenure_days as double)) as avg_tenure_days,
        {%- for tier in value_tiers %}
        sum(case when value_tier = '{{ tier }}' then 1 else 0 end) as {{ tier }}_value_buyers
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from enriched_buyers
    group by store_id, period_grain, period_start
),

age_band_buyers as (
    select
        store_id,
        period_grain,
        period_start,
        age_band,
        count(*) as buyers
    from enriched_buyers
    group by store_id, period_grain, period_start, age_band
),

main_age_bands as (
    select
        store_id,
        period_grain,
        period_start,
        age_band,
        buyers,
        row_number() over (
            partition by store_id, period_grain, period_start
            order by buyers desc, age_band asc
        ) as band_rank
    from age_band_buyers
),

{# Repeat purchases: orders on a customer's second or later occasion (company-wide). #}
managed_repeat_purchases as (
    select
        purchases.store_id,
        purchases.purchase_date,
        customers.home_store_id
    from purchases
    inner join occasions
        on
            purchases.customer_id = occasions.customer_id
            and purchases.purchase_date = occasions.purchase_date
    inner join customers
        on purchases.customer_id = customers.customer_id
    where
        occasions.occasion_number > 1
        and customers.home_store_id is not null
),

{% for grain in grains %}
{{ grain }}_capture as (
    select
        store_id,
        '{{ grain }}' as period_grain,
        {{ crm_planning_period_start(grain, 'sale_date') }} as period_start,
        count(*) as sales_orders_count,
        sum(case when member_id is not null then 1 else 0 end) as member_orders_count
    from sales_orders
    group by
        store_id,
        {{ crm_planning_period_start(grain, 'sale_date') }}
),

{{ grain }}_home_repeats as (
    select
        home_store_id as store_id,
        '{{ grain }}' as period_grain,
        {{ crm_planning_period_start(grain, 'purchase_date') }} as period_start,
        count(*) as managed_repeat_orders,
        sum(case when store_id = home_store_id then 1 else 0 end) as managed_repeat_orders_at_home
    from managed_repeat_purchases
    group by
        home_store_id,
        {{ crm_planning_period_start(grain, 'purchase_date') }}
),

{% endfor %}
capture as (
    {%- for grain in grains %}
    select * from {{ grain }}_capture
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

home_repeats as (
    {%- for grain in grains %}
    select * from {{ grain }}_home_repeats
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

measured as (
    select
        grid.store_id,
        grid.period_grain,
        grid.period_start,
        grid.period_end,
        coalesce(store_buyers.buyers, 0) as buyers,
        coalesce(store_buyers.new_buyers, 0) as new_buyers,
        coalesce(store_buyers.repeat_buyers, 0) as repeat_buyers,
        coalesce(store_buyers.occasions_count, 0) as occasions_count,
        coalesce(store_buyers.orders_count, 0) as orders_count,
        coalesce(store_buyers.revenue, 0) as revenue,
        coalesce(store_buyers.managed_buyers, 0) as managed_buyers,
        store_buyers.avg_tenure_days,
        {%- for tier in value_tiers %}
        coalesce(store_buyers.{{ tier }}_value_buyers, 0) as {{ tier }}_value_buyers,
        {%- endfor %}
        main_age_bands.age_band as main_age_band,
        coalesce(main_age_bands.buyers, 0) as main_age_band_buyers,
        coalesce(capture.sales_orders_count, 0) as sales_orders_count,
        coalesce(capture.member_orders_count, 0) as member_orders_count,
        coalesce(home_repeats.managed_repeat_orders, 0) as managed_repeat_orders,
        coalesce(home_repeats.managed_repeat_orders_at_home, 0) as managed_repeat_orders_at_home
    from grid
    left join store_buyers
        on
            grid.store_id = store_buyers.store_id
            and grid.period_grain = store_buyers.period_grain
            and grid.period_start = store_buyers.period_start
    left join main_age_bands
        on
            grid.store_id = main_age_bands.store_id
            and grid.period_grain = main_age_bands.period_grain
            and grid.period_start = main_age_bands.period_start
            and main_age_bands.band_rank = 1
    left join capture
        on
            grid.store_id = capture.store_id
            and grid.period_grain = capture.period_grain
            and grid.period_start = capture.period_start
    left join home_repeats
        on
            grid.store_id = home_repeats.store_id
            and grid.period_grain = home_repeats.period_grain
            and grid.period_start = home_repeats.period_start
),

final as (
    select
        period_grain,
        period_start,
        period_end,
        store_id,
        cast(revenue as decimal(18, 2)) as revenue,
        cast(buyers as {{ dbt.type_bigint() }}) as buyers,
        cast(orders_count as {{ dbt.type_bigint() }}) as orders_count,
        cast(occasions_count as {{ dbt.type_bigint() }}) as occasions_count,
        cast(occasions_count as double) / nullif(buyers, 0) as frequency,
        cast(orders_count as double) / nullif(buyers, 0) as orders_per_buyer,
        cast(revenue as double) / nullif(orders_count, 0) as aov,
        cast(new_buyers as {{ dbt.type_bigint() }}) as new_buyers,
        cast(buyers - new_buyers as {{ dbt.type_bigint() }}) as returning_buyers,
        cast(new_buyers as double) / nullif(buyers, 0) as new_buyer_share,
        cast(new_buyers as double) / nullif(buyers - new_buyers, 0) as new_to_returning_ratio,
        cast(repeat_buyers as {{ dbt.type_bigint() }}) as repeat_buyers,
        cast(repeat_buyers as double) / nullif(buyers, 0) as repurchase_rate,
        main_age_band,
        cast(main_age_band_buyers as double) / nullif(buyers, 0) as main_age_band_share,
        {%- for tier in value_tiers %}
        cast({{ tier }}_value_buyers as double) / nullif(buyers, 0) as {{ tier }}_value_buyer_share,
        {%- endfor %}
        avg_tenure_days,
        cast(managed_buyers as {{ dbt.type_bigint() }}) as managed_buyers,
        cast(managed_buyers as double) / nullif(buyers, 0) as managed_buyer_share,
        cast(managed_repeat_orders as {{ dbt.type_bigint() }}) as managed_repeat_orders,
        cast(managed_repeat_orders_at_home as {{ dbt.type_bigint() }}) as managed_repeat_orders_at_home,
        cast(managed_repeat_orders_at_home as double) / nullif(managed_repeat_orders, 0)
            as home_store_repeat_share,
        cast(sales_orders_count as {{ dbt.type_bigint() }}) as sales_orders_count,
        cast(member_orders_count as {{ dbt.type_bigint() }}) as member_orders_count,
        cast(member_orders_count as double) / nullif(sales_orders_count, 0) as member_capture_rate,
        period_end <= {{ crm_as_of_date() }} as is_complete,
        {{ crm_as_of_date() }} as as_of_date
    from measured
)

select * from final
