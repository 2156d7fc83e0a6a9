{#- The weekly lifecycle monitor and the seed's ten indicators (docs/definitions.md#weekly-monitors):
    per week x customer_type x recency band at the week's start, the customers in the
    segment when the week starts, those of them who bought in the week, the purchase
    rate, the AOV of their purchases, and the 45-day repeat buyers among them (two or
    more occasions in the 45 days ending on the week's last day or as_of_date) with
    the AOV of their orders in the week. recency_band 'all' sums the bands of a type:
    its repurchase_rate_45d is indicator 1 (new) / 6 (returning) and its
    repeat_buyer_aov indicator 5 / 10; the purchase_rate of bands 45-90, 90-140 and
    140+ are indicators 2-4 / 7-9. The week's start is the day before its Monday
    (recency = that day - the latest purchase on or before it; new = exactly 1
    occasion by then, returning = 2 or more). First-time buyers of the week are in no
    segment: they were prospects. Bands from var kpi_recency_bands (default
    [45, 90, 140]). -#}
{%- set lowers = [0] + (var('kpi_recency_bands') | map('int') | list) -%}
{%- if lowers[1:] | length == 0 or lowers | unique | list | length != lowers | length or lowers != lowers | sort -%}
    {{ exceptions.raise_compiler_error(
        "var kpi_recency_bands must be positive and ascending, got " ~ var('kpi_recency_bands')
    ) }}
{%- endif -%}
{%- set history_days = [lowers[-1], var('repurchase_window_days') | int] | max -%}
{%- set all_index = lowers | length -%}

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

weeks as (
    {{ crm_period_spine('week', '(select min(purchase_date) from occasions)', crm_as_of_date()) | indent(4) }}
),

week_eves as (
    select
        period_start as week_start,
        period_end as week_end,
        cast({{ dbt.dateadd('day', -1, 'period_start') }} as date) as at_date
    from weeks
),

bands as (
    {%- for lower in lowers %}
    select
        {{ loop.index0 }} as band_index,
        '{{ lower }}{{ "-" ~ lowers[loop.index] if not loop.last else "+" }}' as recency_band,
        {{ lower }} as recency_min_days,
        {% if loop.last %}cast(null as int){% else %}{{ lowers[loop.index] }}{% endif %} as recency_max_days
    union all
    {%- endfor %}
    select
        {{ all_index }} as band_index,
        'all' as recency_band,
        0 as recency_min_days,
        cast(null as int) as recency_max_days
),

customer_types as (
    select 'new' as customer_type
    union all
    select 'returning' as customer_type
),

grid as (
    select
        week_eves.week_start,
        week_eves.week_end,
        week_eves.at_date,
        customer_types.customer_type,
        bands.band_index,
        bands.recency_band,
        bands.recency_min_days,
        bands.recency_max_days
    from week_eves
    cross join customer_types
    cross join bands
),

at_start_bands as (
    {{ crm_customers_by_recency('occasions', 'week_eves', lowers, [], true) | indent(4) }}
),

at_start as (
    select
        at_date,
        customer_type,
        band_index,
        customers
    from at_start_bands
    union all
    select
        at_date,
        customer_type,
        {{ all_index }} as band_index,
        sum(customers) as customers
    from at_start_bands
    group by at_date, customer_type
),

{# Customers who bought in the week and were new or returning at its start. #}
banded_weeks as (
    select
        week_start,
        customer_type_at_start as customer_type,
        orders_count,
        revenue,
        is_repeat_buyer,
        case
            {%- for lower in lowers[1:] %}
            when recency_days_at_start < {{ lower }} then {{ loop.index0 }}
            {%- endfor %}
            else {{ lowers | length - 1 }}
        end as band_index
    from customer_weeks
    where customer_type_at_start in ('new', 'returning')
),

typed_weeks as (
    select
        week_start,
        customer_type,
        band_index,
        orders_count,
        revenue,
        is_repeat_buyer
    from banded_weeks
    union all
    select
        week_start,
        customer_type,
        {{ all_index }} as band_index,
        orders_count,
        revenue,
        is_repeat_buyer
    from banded_weeks
),

purchasers as (
    select
        week_start,
        customer_type,
        band_index,
        cast(count(*) as bigint) as purchasers,
        cast(sum(orders_count) as bigint) as orders_count,
        cast(sum(revenue) as decimal(18, 2)) as revenue,
        cast(sum(case when is_repeat_buyer then 1 else 0 end) as bigint) as repeat_buyers,
        cast(sum(case when is_repeat_buyer then orders_count else 0 end) as bigint) as repeat_buyer_orders_count,
        cast(sum(case when is_repeat_buyer then revenue else 0 end) as decimal(18, 2)) as repeat_buyer_revenue
    from typed_weeks
    group by
        week_start,
        customer_type,
        band_index
),

final as (
    select
        grid.week_start,
        grid.week_end,
        grid.customer_type,
        grid.recency_band,
        cast(grid.recency_min_days as int) as recency_min_days,
        cast(grid.recency_max_days as int) as recency_max_days,
        cast(coalesce(at_start.customers, 0) as bigint) as customers_at_start,
        coalesce(purchasers.purchasers, 0) as purchasers,
        cast(coalesce(purchasers.purchasers, 0) as double) / nullif(at_start.customers, 0) as purchase_rate,
        coalesce(purchasers.orders_count, 0) as orders_count,
        coalesce(purchasers.revenue, cast(0 as decimal(18, 2))) as revenue,
        cast(purchasers.revenue as double) / nullif(purchasers.orders_count, 0) as aov,
        coalesce(purchasers.repeat_buyers, 0) as repeat_buyers,
        cast(purchasers.repeat_buyers as double) / nullif(purchasers.purchasers, 0) as repurchase_rate_45d,
        coalesce(purchasers.repeat_buyer_orders_count, 0) as repeat_buyer_orders_count,
        coalesce(purchasers.repeat_buyer_revenue, cast(0 as decimal(18, 2))) as repeat_buyer_revenue,
        cast(purchasers.repeat_buyer_revenue as double)
        / nullif(purchasers.repeat_buyer_orders_count, 0) as repeat_buyer_aov,
        grid.at_date >= {{ crm_customer_add_days(history_days, crm_history_start_date()) }}
            as has_full_history,
        grid.week_end <= {{ crm_as_of_date() }} as is_complete
    from grid
    left join at_start
        on
            grid.at_date = at_start.at_date
            and grid.customer_type = at_start.customer_type
            and grid.band_index = at_start.band_index
    left join purchasers
        on
            grid.week_start = purchasers.week_start
            and grid.customer_type = purchasers.customer_type
            and grid.band_index = purchasers.band_index
)

select * from final
