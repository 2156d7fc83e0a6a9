{#- Win-back list: which returning customers have gone quiet (lifecycle stage
    sleeping or lost) but are still predicted to be worth a contact? Keeps
    returning customers (two or more purchase occasions) in the stages of var
    winback_stages (default sleeping, lost) whose predicted 365-day CLV
    (customer_clv, BG/NBD + Gamma-Gamma) is in the top winback_max_clv_decile
    tenths of all customers (default 3 = the top 30 %), and who can be reached
    (opted in to SMS or email; var winback_contactable_only, default true).
    Highest predicted value first, with what a CRM manager needs for the contact:
    preferred channel (SMS when opted in, else email), favourite category,
    home store and last purchase.
    Adapt: add 'pre_churn' to winback_stages for a wider net, lower
    winback_max_clv_decile for a smaller, richer list, e.g.
      dbt compile --select win_back_list
        --vars '{winback_stages: [sleeping, pre_churn, lost], winback_max_clv_decile: 2}'
    then run target/compiled/crm_warehouse/analyses/win_back_list.sql read-only.
    DuckDB only: customer_clv is a Python model. -#}
{{ config(enabled=crm_clv_is_supported()) }}
{%- set stages = var('winback_stages', ['sleeping', 'lost']) -%}
{%- set max_clv_decile = var('winback_max_clv_decile', 3) | int -%}
{%- set contactable_only = var('winback_contactable_only', true) -%}
{%- set stage_list = "'" ~ (stages | join("', '")) ~ "'" -%}

with

customers as (
    select * from {{ ref('customers') }}
),

clv as (
    select * from {{ ref('customer_clv') }}
),

candidates as (
    select
        customers.customer_id,
        customers.lifecycle_stage,
        customers.recency_days,
        customers.first_purchase_date,
        customers.last_purchase_date,
        customers.occasions_count,
        customers.revenue,
        customers.value_tier,
        customers.rfm_segment,
        customers.favourite_category,
        customers.home_store_id,
        customers.sms_opt_in,
        customers.email_opt_in,
        clv.p_alive,
        clv.expected_purchases_365d,
        clv.clv_365d,
        clv.clv_decile,
        clv.as_of_date,
        case
            when customers.sms_opt_in then 'sms'
            when customers.email_opt_in then 'email'
            else 'none'
        end as preferred_channel
    from customers
    inner join clv
        on customers.customer_id = clv.customer_id
    where
        customers.customer_type = 'returning'
        and customers.lifecycle_stage in ({{ stage_list }})
        and clv.clv_decile <= {{ max_clv_decile }}
),

final as (
    select
        customer_id,
        lifecycle_stage,
        recency_days,
        first_purchase_date,
        last_purchase_date,
        occasions_count,
        revenue,
        value_tier,
        rfm_segment,
        p_alive,
        expected_purchases_365d,
        clv_365d,
        clv_decile,
        preferred_channel,
        sms_opt_in,
        email_opt_in,
        favourite_category,
        home_store_id,
        as_of_date
    from candidates
    {%- if contactable_only %}
    where preferred_channel != 'none'
    {%- endif %}
)

select * from final
order by clv_365d desc, customer_id asc
