{#- One row per customer: CRM flags from the CLV model. A hidden gem is likely alive
    (p_alive >= var clv_flag_high_p_alive) and among the top var clv_flag_top_share
    by predicted 365-day CLV, but outside the top var clv_flag_low_monetary_share by
    current M (net spend to date). An at-risk high-value customer is among the top
    var clv_flag_top_share by current M but likely gone (p_alive <
    var clv_flag_low_p_alive). Shares are cume_dist() over the value, descending.
    p_alive, churn_probability and expected_next_order_date come from customer_clv
    (the chosen purchase model) for `customers`. -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

clv as (
    select * from {{ ref('customer_clv') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

ranked as (
    select
        clv.customer_id,
        clv.as_of_date,
        customers.monetary,
        clv.p_alive,
        clv.churn_probability,
        clv.expected_next_order_date,
        clv.clv_365d,
        clv.clv_decile,
        cume_dist() over (order by customers.monetary desc) as monetary_cume_dist,
        cume_dist() over (order by clv.clv_365d desc nulls last) as clv_cume_dist
    from clv
    inner join customers
        on clv.customer_id = customers.customer_id
),

final as (
    select
        customer_id,
        as_of_date,
        cast(monetary as decimal(18, 2)) as monetary,
        cast(monetary_cume_dist as double) as monetary_cume_dist,
        cast(p_alive as double) as p_alive,
        cast(churn_probability as double) as churn_probability,
        expected_next_order_date,
        cast(clv_365d as double) as clv_365d,
        case when clv_365d is not null then cast(clv_cume_dist as double) end as clv_cume_dist,
        clv_decile,
        coalesce(
            p_alive >= cast({{ var('clv_flag_high_p_alive', 0.7) }} as double)
            and clv_365d is not null
            and clv_cume_dist <= cast({{ var('clv_flag_top_share', 0.2) }} as double)
            and monetary_cume_dist > cast({{ var('clv_flag_low_monetary_share', 0.5) }} as double),
            false
        ) as is_hidden_gem,
        coalesce(
            monetary_cume_dist <= cast({{ var('clv_flag_top_share', 0.2) }} as double)
            and p_alive < cast({{ var('clv_flag_low_p_alive', 0.3) }} as double),
            false
        ) as is_at_risk_high_value
    from ranked
)

select * from final
