{#- Weekly lifecycle monitor: per week x customer_type x recency band at the week's
    start, the customers in the segment when the week starts, those of them who bought
    in the week, the purchase rate and the AOV of their purchases in the week.
    The week's start is the day before its Monday (recency = that day - the latest
    purchase on or before it; new = exactly 1 occasion by then, returning = 2 or more).
    First-time buyers of the week are in no segment: they were prospects. Bands from
    var kpi_recency_bands (default [45, 90, 140]: 0-45, 45-90, 90-140, 140+ days). -#}
{%- set lowers = [0] + (var('kpi_recency_bands') | map('int') | list) -%}
{%- if lowers[1:] | length == 0 or lowers | unique | list | length != lowers | length or lowers != lowers | sort -%}
    {{ exceptions.raise_compiler_error(
        "var kpi_recency_bands must be positive and ascending, got " ~ var('kpi_recency_bands')
    ) }}
{%- endif -%}

with

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
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
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
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

at_start as (
    {{ crm_customers_by_recency('occasions', 'week_eves', lowers, [], true) | indent(4) }}
),

customer_weeks as (
    select
        customer_id,
        {{ crm_period_start('week', 'purchase_date') }} as week_start,
        min(occasion_number) as first_occasion_number,
        min(previous_purchase_date) as previous_purchase_date,
        sum(orders_count) as orders_count,
        sum(net_amount) as revenue
    from occasions
    group by
        customer_id,
        {{ crm_period_start('week', 'purchase_date') }}
),

{# A customer whose first occasion in the week is their n-th (n >= 2) had n - 1
   occasions at the week's start, the latest on previous_purchase_date. #}
returning_weeks as (
    select
        week_start,
        previous_purchase_date as last_date,
        orders_count,
        revenue,
        case when first_occasion_number = 2 then 'new' else 'returning' end as customer_type,
        cast({{ dbt.dateadd('day', -1, 'week_start') }} as date) as week_eve
    from customer_weeks
    where first_occasion_number >= 2
),

aged_weeks as (
    select
        week_start,
        customer_type,
        orders_count,
        revenue,
        {{ dbt.datediff('last_date', 'week_eve', 'day') }}
            as recency_days
    from returning_weeks
),

banded_weeks as (
    select
        week_start,
        customer_type,
        orders_count,
        revenue,
        case
            {%- for lower in lowers[1:] %}
            when recency_days < {{ lower }} then {{ loop.index0 }}
            {%- endfor %}
            else {{ lowers | length - 1 }}
        end as band_index
    from aged_weeks
),

purchasers as (
    select
        week_start,
        customer_type,
        band_index,
        cast(count(*) as bigint) as purchasers,
        cast(sum(orders_count) as bigint) as orders_count,
        cast(sum(revenue) as decimal(18, 2)) as revenue
    from banded_weeks
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
        coalesce(at_start.customers, 0) as customers_at_start,
        coalesce(purchasers.purchasers, 0) as purchasers,
        cast(coalesce(purchasers.purchasers, 0) as double) / nullif(at_start.customers, 0) as purchase_rate,
        coalesce(purchasers.orders_count, 0) as orders_count,
        coalesce(purchasers.revenue, cast(0 as decimal(18, 2))) as revenue,
        cast(purchasers.revenue as double) / nullif(purchasers.orders_count, 0) as aov,
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
