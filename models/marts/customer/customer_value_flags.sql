{#- One row per customer the chosen CLV model scored: CRM flags from the CLV model
    (hidden gem, at-risk high value) with the values behind them, projected from the
    customer state (int_customer_state, where the rules are). -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

final as (
    select
        customer_id,
        as_of_date,
        revenue as monetary,
        clv_monetary_cume_dist as monetary_cume_dist,
        p_alive,
        churn_probability,
        expected_next_order_date,
        clv_365d,
        clv_cume_dist,
        clv_decile,
        is_hidden_gem,
        is_at_risk_high_value
    from customer_state
    where is_clv_scored
)

select * from final
