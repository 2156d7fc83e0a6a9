{#- Audience of a category campaign (issue 24): customers aged audience_min_age+ (default
    35) who bought the category audience_category (default skincare) in the last
    audience_bought_within_days (default 365) days but not in the last
    audience_quiet_days (default 90), i.e. the days since their last purchase of the
    category (customer_category) are in [90, 365); excluding anyone contacted by any
    campaign (treatment or control) in the last audience_cooldown_days (default 30)
    days; with a reproducible random control group of audience_control_share (default
    0.10) from macro crm_holdout_group (md5 of customer_id and audience_seed). Windows
    end on as_of_date: "the last 90 days" are as_of_date - 89 .. as_of_date. Each row
    also says whether the customer is current or lapsed in the category and heavy or
    light. Compile with e.g.
      dbt compile --select category_audience_selection
        --vars '{audience_category: makeup, audience_seed: C012}'
    and run the SQL in target/compiled. -#}
{%- set category = var('audience_category', 'skincare') | lower -%}
{%- set min_age = var('audience_min_age', 35) | int -%}
{%- set bought_within_days = var('audience_bought_within_days', 365) | int -%}
{%- set quiet_days = var('audience_quiet_days', 90) | int -%}
{%- set cooldown_days = var('audience_cooldown_days', 30) | int -%}
{%- set control_share = var('audience_control_share', 0.10) | float -%}
{%- set seed = var('audience_seed', 'audience') -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customers as (
    select * from {{ ref('customers') }}
),

customer_category as (
    select * from {{ ref('customer_category') }}
),

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

category_buyers as (
    select
        customer_id,
        last_purchase_date as last_category_purchase_date,
        days_since_last_purchase,
        occasions_count as category_occasions,
        spend as category_spend,
        category_status,
        user_tier
    from customer_category
    where
        category = '{{ category | replace("'", "''") }}'
        and days_since_last_purchase >= {{ quiet_days }}
        and days_since_last_purchase < {{ bought_within_days }}
),

recently_contacted as (
    select distinct member_id
    from contacts
    where contact_date > {{ crm_customer_add_days(-cooldown_days, crm_as_of_date()) }}
),

audience as (
    select
        customers.customer_id,
        customers.age,
        customers.age_band,
        customers.lifecycle_segment,
        customers.sms_opt_in,
        customers.email_opt_in,
        category_buyers.last_category_purchase_date,
        category_buyers.days_since_last_purchase,
        category_buyers.category_occasions,
        category_buyers.category_spend,
        category_buyers.category_status,
        category_buyers.user_tier,
        {{ crm_holdout_group('customers.customer_id', seed, control_share) | indent(8) }} as group_name
    from customers
    inner join category_buyers
        on customers.customer_id = category_buyers.customer_id
    left join recently_contacted
        on customers.customer_id = recently_contacted.member_id
    where
        customers.age >= {{ min_age }}
        and recently_contacted.member_id is null
),

final as (
    select
        customer_id,
        group_name,
        '{{ seed | replace("'", "''") }}' as audience_seed,
        '{{ category | replace("'", "''") }}' as audience_category,
        age,
        age_band,
        lifecycle_segment,
        sms_opt_in,
        email_opt_in,
        last_category_purchase_date,
        days_since_last_purchase,
        category_occasions,
        category_spend,
        category_status,
        user_tier,
        {{ crm_as_of_date() }} as as_of_date
    from audience
)

select * from final
