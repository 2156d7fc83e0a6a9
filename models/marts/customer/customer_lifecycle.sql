{#- One row per member or customer as of as_of_date (prospects included):
    customer_type, lifecycle_stage, lifecycle_segment and loyalty_level
    (docs/definitions.md#lifecycle), projected from the customer state
    (int_customer_state, where the rules are). -#}

with

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

final as (
    select
        customer_id,
        as_of_date,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        recency_days,
        loyalty_level,
        first_purchase_date,
        last_purchase_date,
        occasions_count,
        referred_members,
        referred_customers
    from customer_state
)

select * from final
