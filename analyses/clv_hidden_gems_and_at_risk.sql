-- Customers the CRM team should look at, from the CLV model (customer_value_flags):
-- hidden gems (likely alive, high predicted 365-day value, low spend so far) to
-- nurture, and high spenders who are probably gone (low p_alive) to win back.
-- Run: dbt compile --select clv_hidden_gems_and_at_risk, then execute the compiled
-- SQL read-only. Thresholds: vars clv_flag_* (see docs/decisions.md).
{{ config(enabled=crm_clv_is_supported()) }}

with

flags as (
    select * from {{ ref('customer_value_flags') }}
),

clv as (
    select * from {{ ref('customer_clv') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

flagged as (
    select
        customer_id,
        'hidden_gem' as flag,
        'nurture: likely alive, high predicted value, low spend so far' as suggested_action
    from flags
    where is_hidden_gem
    union all
    select
        customer_id,
        'at_risk_high_value' as flag,
        'win back: high spend so far, probably no longer buying' as suggested_action
    from flags
    where is_at_risk_high_value
),

final as (
    select
        flagged.flag,
        flagged.customer_id,
        flags.as_of_date,
        customers.first_purchase_date,
        customers.last_purchase_date,
        customers.occasions_count,
        flags.monetary,
        flags.p_alive,
        clv.expected_purchases_365d,
        clv.expected_aov,
        flags.clv_365d,
        clv.clv_rank,
        flags.clv_decile,
        flagged.suggested_action
    from flagged
    inner join flags
        on flagged.customer_id = flags.customer_id
    inner join clv
        on flagged.customer_id = clv.customer_id
    inner join customers
        on flagged.customer_id = customers.customer_id
)

select * from final
order by flag asc, clv_365d desc, customer_id asc
