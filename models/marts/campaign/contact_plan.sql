{#- Monthly contact plan and budget (issue 7): one row per customer_type x
    lifecycle_stage of the contact policy (seed contact_policy) or of the members as
    of as_of_date (int_customer_state). Reachable members respect the opt-ins: SMS only to sms_opt_in,
    email only to email_opt_in. Touches = reachable members x touches per month of
    the policy; budget = touches x unit cost (vars contact_sms_unit_cost,
    contact_email_unit_cost). A segment without a policy row gets no touches. -#}
{%- set sms_unit_cost = var('contact_sms_unit_cost', 0.05) -%}
{%- set email_unit_cost = var('contact_email_unit_cost', 0.01) -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

policy as (
    select * from {{ ref('contact_policy') }}
),

segment_counts as (
    select
        customer_type,
        lifecycle_stage,
        count(*) as customers,
        sum(case when sms_opt_in then 1 else 0 end) as sms_reachable_customers,
        sum(case when email_opt_in then 1 else 0 end) as email_reachable_customers,
        sum(case when sms_opt_in or email_opt_in then 1 else 0 end) as reachable_customers
    from customer_state
    group by customer_type, lifecycle_stage
),

segments as (
    select
        policy.objective,
        policy.suggested_activities,
        coalesce(policy.customer_type, segment_counts.customer_type) as customer_type,
        coalesce(policy.lifecycle_stage, segment_counts.lifecycle_stage) as lifecycle_stage,
        policy.customer_type is not null as has_policy,
        coalesce(policy.sms_per_month, 0) as sms_per_month,
        coalesce(policy.emails_per_month, 0) as emails_per_month,
        coalesce(segment_counts.customers, 0) as customers,
        coalesce(segment_counts.sms_reachable_customers, 0) as sms_reachable_customers,
        coalesce(segment_counts.email_reachable_customers, 0) as email_reachable_customers,
        coalesce(segment_counts.reachable_customers, 0) as reachable_customers
    from policy
    full outer join segment_counts
        on
            policy.customer_type = segment_counts.customer_type
            and policy.lifecycle_stage = segment_counts.lifecycle_stage
),

touches as (
    select
        *,
        sms_reachable_customers * sms_per_month as sms_touches_per_month,
        email_reachable_customers * emails_per_month as email_touches_per_month,
        cast({{ sms_unit_cost }} as decimal(18, 4)) as sms_unit_cost,
        cast({{ email_unit_cost }} as decimal(18, 4)) as email_unit_cost
    from segments
),

final as (
    select
        customer_type,
        lifecycle_stage,
        {{ crm_lifecycle_segment('customer_type', 'lifecycle_stage') }} as lifecycle_segment,
        objective,
        suggested_activities,
        has_policy,
        cast(sms_per_month as {{ dbt.type_int() }}) as sms_per_month,
        cast(emails_per_month as {{ dbt.type_int() }}) as emails_per_month,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(sms_reachable_customers as {{ dbt.type_bigint() }}) as sms_reachable_customers,
        cast(email_reachable_customers as {{ dbt.type_bigint() }}) as email_reachable_customers,
        cast(reachable_customers as {{ dbt.type_bigint() }}) as reachable_customers,
        cast(customers - reachable_customers as {{ dbt.type_bigint() }}) as unreachable_customers,
        cast(sms_touches_per_month as {{ dbt.type_bigint() }}) as sms_touches_per_month,
        cast(email_touches_per_month as {{ dbt.type_bigint() }}) as email_touches_per_month,
        cast(sms_touches_per_month + email_touches_per_month as {{ dbt.type_bigint() }}) as touches_per_month,
        cast(sms_unit_cost as double) as sms_unit_cost,
        cast(email_unit_cost as double) as email_unit_cost,
        cast(sms_touches_per_month * sms_unit_cost as decimal(18, 2)) as sms_budget_per_month,
        cast(email_touches_per_month * email_unit_cost as decimal(18, 2)) as email_budget_per_month,
        cast(
            sms_touches_per_month * sms_unit_cost + email_touches_per_month * email_unit_cost as decimal(18, 2)
        ) as budget_per_month,
        cast(
            12 * (sms_touches_per_month * sms_unit_cost + email_touches_per_month * email_unit_cost)
            as decimal(18, 2)
        ) as budget_per_year,
        {{ crm_as_of_date() }} as as_of_date
    from touches
)

select * from final
