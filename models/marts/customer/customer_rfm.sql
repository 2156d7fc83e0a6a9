{#- One row per customer (a purchase up to as_of_date): recency, frequency and
    monetary, their scores, cell and segment, value tier, purchase cycle and member
    tier (docs/definitions.md#customer-state). The purchase cycle is the seed's: 365 / occasions in
    the trailing 365 days (customers with two or more there), and the overdue ratio
    and status come from it; avg_purchase_interval_days is kept beside it. frequency, orders_count and monetary count the RFM
    window (as_of_date - rfm_window_days, as_of_date], all history by default;
    recency and first / last purchase dates are over all history. -#}
{%- set window_days = var('rfm_window_days', none) -%}
{%- set use_window = window_days is not none and (window_days | string | trim) not in ('', 'none', 'null') -%}

with

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

{% if use_window -%}
occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

{% endif -%}
member_tiers as (
    select * from {{ ref('int_member_tiers_assigned') }}
),

segment_rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

windowed as (
    {%- if use_window %}
    select
        customer_id,
        count(*) as frequency,
        sum(orders_count) as orders_count,
        sum(net_amount) as monetary,
        min(purchase_date) as window_first_purchase_date,
        max(purchase_date) as window_last_purchase_date
    from occasions
    where purchase_date > {{ crm_customer_add_days(-(window_days | int), crm_as_of_date_legacy()) }}
    group by customer_id
    {%- else %}
    select
        customer_id,
        occasions_count as frequency,
        orders_count,
        monetary,
        first_purchase_date as window_first_purchase_date,
        last_purchase_date as window_last_purchase_date
    from customers
    {%- endif %}
),

measured as (
    select
        customers.customer_id,
        customers.as_of_date,
        customers.first_purchase_date,
        customers.last_purchase_date,
        cast(
            {{ dbt.datediff('customers.last_purchase_date', 'customers.as_of_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as recency_days,
        cast(coalesce(windowed.frequency, 0) as {{ dbt.type_bigint() }}) as frequency,
        cast(coalesce(windowed.orders_count, 0) as {{ dbt.type_bigint() }}) as orders_count,
        cast(coalesce(windowed.monetary, 0) as decimal(18, 2)) as monetary,
        windowed.window_first_purchase_date,
        windowed.window_last_purchase_date,
        customers.occasions_365d
    from customers
    left join windowed
        on customers.customer_id = windowed.customer_id
),

scored as (
    select
        *,
        {{ crm_rfm_score('recency_days', 'recency') }} as r_score,
        {{ crm_rfm_score('frequency', 'frequency') }} as f_score,
        {{ crm_rfm_score('monetary', 'monetary') }} as m_score,
        cume_dist() over (order by monetary desc) as monetary_cume_dist
    from measured
),

cell_segments as (
    {{ crm_rfm_cell_segments('scored', 'segment_rules') | indent(4) }}
),

cycled as (
    select
        *,
        case
            when frequency >= 2
                then
                    cast(
                        {{ dbt.datediff('window_first_purchase_date', 'window_last_purchase_date', 'day') }}
                        as double
                    )
                    / (frequency - 1)
        end as avg_purchase_interval_days,
        case
            when occasions_365d >= 2 then cast(365 as double) / occasions_365d
        end as purchase_cycle_days
    from scored
),

cycle_rated as (
    select
        *,
        cast(recency_days as double) / purchase_cycle_days as overdue_ratio
    from cycled
),

final as (
    select
        cycle_rated.customer_id,
        cycle_rated.as_of_date,
        cycle_rated.first_purchase_date,
        cycle_rated.last_purchase_date,
        cycle_rated.recency_days,
        cycle_rated.frequency,
        cycle_rated.orders_count,
        cycle_rated.monetary,
        cycle_rated.r_score,
        cycle_rated.f_score,
        cycle_rated.m_score,
        {{ dbt.concat([
            dbt.cast('cycle_rated.r_score', dbt.type_string()),
            dbt.cast('cycle_rated.f_score', dbt.type_string()),
            dbt.cast('cycle_rated.m_score', dbt.type_string()),
        ]) }} as rfm_cell,
        cell_segments.rfm_segment,
        case
            when cycle_rated.monetary_cume_dist <= cast({{ var('value_tier_top_share') }} as double) then 'top'
            when cycle_rated.monetary_cume_dist <= cast({{ var('value_tier_high_share') }} as double) then 'high'
            when cycle_rated.monetary_cume_dist <= cast({{ var('value_tier_middle_share') }} as double) then 'middle'
            else 'low'
        end as value_tier,
        cycle_rated.purchase_cycle_days,
        cycle_rated.avg_purchase_interval_days,
        cycle_rated.overdue_ratio,
        case
            when cycle_rated.overdue_ratio is null then 'not_applicable'
            when cycle_rated.overdue_ratio <= 1 then 'on_cycle'
            when cycle_rated.overdue_ratio <= 2 then 'overdue'
            else 'alert'
        end as purchase_cycle_status,
        member_tiers.member_tier,
        cycle_rated.monetary_cume_dist,
        member_tiers.tier_spend as member_tier_spend,
        member_tiers.next_tier,
        member_tiers.spend_to_next_tier,
        member_tiers.is_near_upgrade,
        member_tiers.is_downgrade_risk
    from cycle_rated
    left join cell_segments
        on
            cycle_rated.r_score = cell_segments.r_score
            and cycle_rated.f_score = cell_segments.f_score
            and cycle_rated.m_score = cell_segments.m_score
    left join member_tiers
        on cycle_rated.customer_id = member_tiers.customer_id
)

select * from final
