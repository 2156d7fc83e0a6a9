{#- One row per customer: the chosen purchase model's (int_clv_model_choice: var
    clv_model, default auto = best on the holdout check) probability alive, churn
    probability, expected purchase occasions in the next 90 and 365 days and expected
    next order date; the Gamma-Gamma expected spend per occasion, the discounted
    365-day CLV, the historic spend and their sum, ranked. The fits and the closed
    forms are in the Python models of models/intermediate/clv; the dates, ranks and
    deciles in int_clv_customers_chosen, which the customer state reads too. -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

clv_customers as (
    select * from {{ ref('int_clv_customers_chosen') }}
),

final as (
    select
        customer_id,
        as_of_date,
        model,
        x,
        t_x,
        {{ adapter.quote('T') }},
        p_alive,
        churn_probability,
        expected_purchases_90d,
        expected_purchases_365d,
        expected_days_to_next_order,
        next_order_estimate,
        expected_next_order_date,
        average_days_between_orders,
        expected_aov,
        clv_365d,
        historic_clv,
        total_clv,
        clv_rank,
        clv_decile
    from clv_customers
)

select * from final
