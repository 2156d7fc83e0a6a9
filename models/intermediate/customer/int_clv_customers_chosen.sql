{#- One row per customer scored by the chosen purchase model (int_clv_model_choice):
    the per-customer CLV values of customer_clv (probability alive, churn, expected
    purchases and next order date, expected spend, 365-day CLV, rank and decile), as
    an intermediate model so that the customer state (int_customer_state) takes its
    CLV flags from it without reading a mart. customer_clv holds the same rows. -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

summary as (
    select * from {{ ref('int_customers_clv_summarized') }}
),

scored as (
    select * from {{ ref('int_clv_customers_scored') }}
),

choice as (
    select * from {{ ref('int_clv_model_choice') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

joined as (
    select
        summary.customer_id,
        summary.as_of_date,
        scored.model,
        scored.x,
        scored.t_x,
        scored.t,
        scored.p_alive,
        scored.expected_purchases_90d,
        scored.expected_purchases_365d,
        scored.expected_days_to_next_order,
        scored.next_order_estimate,
        summary.first_to_last_days,
        summary.repeat_occasions,
        scored.expected_aov,
        scored.clv_365d,
        customers.monetary
    from summary
    inner join scored
        on summary.customer_id = scored.customer_id
    inner join choice
        on scored.model = choice.model and choice.is_chosen
    left join customers
        on summary.customer_id = customers.customer_id
),

ranked as (
    select
        *,
        rank() over (order by clv_365d desc nulls last) as clv_rank,
        percent_rank() over (order by clv_365d desc nulls last) as clv_percent_rank
    from joined
),

final as (
    select
        customer_id,
        as_of_date,
        model,
        cast(x as {{ dbt.type_bigint() }}) as x,
        cast(t_x as double) as t_x,
        cast(t as double) as {{ adapter.quote('T') }},
        cast(p_alive as double) as p_alive,
        cast(1 - p_alive as double) as churn_probability,
        cast(expected_purchases_90d as double) as expected_purchases_90d,
        cast(expected_purchases_365d as double) as expected_purchases_365d,
        cast(expected_days_to_next_order as double) as expected_days_to_next_order,
        next_order_estimate,
        cast(
            {{ dbt.dateadd(
                'day',
                'cast(round(expected_days_to_next_order) as ' ~ dbt.type_int() ~ ')',
                'as_of_date'
            ) }} as date
        ) as expected_next_order_date,
        cast(first_to_last_days as double) / nullif(repeat_occasions, 0) as average_days_between_orders,
        cast(expected_aov as double) as expected_aov,
        cast(clv_365d as double) as clv_365d,
        cast(monetary as double) as historic_clv,
        cast(monetary + clv_365d as double) as total_clv,
        case when clv_365d is not null then cast(clv_rank as {{ dbt.type_bigint() }}) end as clv_rank,
        case
            when clv_365d is not null
                then cast(least(10, 1 + floor(10 * clv_percent_rank)) as {{ dbt.type_int() }})
        end as clv_decile
    from ranked
)

select * from final
