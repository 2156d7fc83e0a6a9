{#- One row per RFM segment of seed rfm_segment_rules (segments without customers
    included, with 0): customers, revenue (monetary) and their shares, averages of
    recency, frequency and monetary, over the customers of the customer state
    (int_customer_state). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

segment_rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

rfm as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        rfm_segment
    from customer_state
    where is_customer
),

segment_totals as (
    select
        rfm_segment,
        count(*) as customers,
        sum(monetary) as revenue,
        avg(cast(recency_days as double)) as avg_recency_days,
        avg(cast(frequency as double)) as avg_frequency,
        {{ crm_customer_money_div(crm_customer_cents('sum(monetary)'), 'count(*)') }} as avg_monetary
    from rfm
    group by rfm_segment
),

overall as (
    select
        count(*) as customers,
        sum(monetary) as revenue
    from rfm
),

final as (
    select
        segment_rules.segment as rfm_segment,
        cast(coalesce(segment_totals.customers, 0) as {{ dbt.type_bigint() }}) as customers,
        coalesce(cast(segment_totals.customers as double) / nullif(overall.customers, 0), 0) as customer_share,
        cast(coalesce(segment_totals.revenue, 0) as decimal(18, 2)) as revenue,
        coalesce(cast(segment_totals.revenue as double) / nullif(cast(overall.revenue as double), 0), 0)
            as revenue_share,
        segment_totals.avg_recency_days,
        segment_totals.avg_frequency,
        segment_totals.avg_monetary,
        segment_rules.priority as rule_priority,
        segment_rules.description as segment_description,
        {{ crm_as_of_date() }} as as_of_date
    from segment_rules
    cross join overall
    left join segment_totals
        on segment_rules.segment = segment_totals.rfm_segment
)

select * from final
