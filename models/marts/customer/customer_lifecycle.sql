{#- One row per member or customer as of as_of_date (prospects included):
    customer_type, lifecycle_stage, lifecycle_segment and loyalty_level
    (docs/definitions.md#lifecycle). Loyalty ladder, each rung includes the one below:
    purchaser (1 occasion) < repeat_customer (2+ occasions) < supporter (a repeat
    customer who referred a member) < advocate (a supporter whose referral became a
    customer); members without a purchase are prospects whatever they referred. -#}

with

members as (
    select * from {{ ref('int_members_unioned') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

referrals as (
    select
        members.referred_by_member_id as customer_id,
        count(*) as referred_members,
        sum(case when customers.customer_id is not null then 1 else 0 end) as referred_customers
    from members
    left join customers
        on members.customer_id = customers.customer_id
    where
        members.referred_by_member_id is not null
        and members.referred_by_member_id != members.customer_id
    group by members.referred_by_member_id
),

typed as (
    select
        members.customer_id,
        customers.first_purchase_date,
        customers.last_purchase_date,
        cast(coalesce(customers.occasions_count, 0) as {{ dbt.type_bigint() }}) as occasions_count,
        cast(
            {{ dbt.datediff('customers.last_purchase_date', crm_as_of_date_legacy(), 'day') }}
            as {{ dbt.type_int() }}
        ) as recency_days,
        cast(coalesce(referrals.referred_members, 0) as {{ dbt.type_bigint() }}) as referred_members,
        cast(coalesce(referrals.referred_customers, 0) as {{ dbt.type_bigint() }}) as referred_customers
    from members
    left join customers
        on members.customer_id = customers.customer_id
    left join referrals
        on members.customer_id = referrals.customer_id
),

staged as (
    select
        *,
        {{ crm_customer_type('occasions_count') }} as customer_type,
        case
            when recency_days is null then 'prospect'
            else {{ crm_lifecycle_stage('recency_days') }}
        end as lifecycle_stage
    from typed
),

final as (
    select
        customer_id,
        {{ crm_as_of_date_legacy() }} as as_of_date,
        customer_type,
        lifecycle_stage,
        {{ crm_lifecycle_segment('customer_type', 'lifecycle_stage') }} as lifecycle_segment,
        recency_days,
        case
            when occasions_count >= 2 and referred_customers >= 1 then 'advocate'
            when occasions_count >= 2 and referred_members >= 1 then 'supporter'
            when occasions_count >= 2 then 'repeat_customer'
            when occasions_count = 1 then 'purchaser'
            else 'prospect'
        end as loyalty_level,
        first_purchase_date,
        last_purchase_date,
        occasions_count,
        referred_members,
        referred_customers
    from staged
)

select * from final
