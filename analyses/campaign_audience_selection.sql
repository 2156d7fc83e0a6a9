{#- Audience of a product-launch campaign, the way a CRM analyst selects it
    (issue 7): returning customers aged launch_min_age+ (default 35) who bought the
    launch category (default skincare) up to as_of_date, opted in to the launch
    channel (default email), and not in any campaign (treatment or control) in the
    last launch_cooldown_days (default 30) days - a member held out by a running
    campaign must stay untouched or that campaign's control group is spoiled.
    The treatment / control split is reproducible (macro crm_holdout_group): a member
    is in control when the first 4 hex digits of md5(member_id || '|' ||
    launch_campaign_seed) fall below launch_control_share (default 0.15) x 16^4, so the
    same seed always gives the same groups and a member's group does not depend on who
    else is selected.
    Compile with e.g.
      dbt compile --select campaign_audience_selection
        --vars '{launch_category: makeup, launch_campaign_seed: C011}'
    and run the SQL in target/compiled. -#}
{%- set category = var('launch_category', 'skincare') -%}
{%- set min_age = var('launch_min_age', 35) | int -%}
{%- set channel = var('launch_channel', 'email') -%}
{%- set cooldown_days = var('launch_cooldown_days', 30) | int -%}
{%- set control_share = var('launch_control_share', 0.15) | float -%}
{%- set campaign_seed = var('launch_campaign_seed', 'launch') -%}
{%- if channel not in ('sms', 'email') -%}
    {{ exceptions.raise_compiler_error("var launch_channel must be sms or email, got " ~ channel) }}
{%- endif -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customers as (
    select * from {{ ref('customers') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

order_items as (
    select * from {{ ref('stg_crm__order_items') }}
),

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

category_buyers as (
    select
        purchases.customer_id,
        count(distinct purchases.order_id) as category_orders,
        max(purchases.purchase_date) as last_category_purchase_date
    from purchases
    inner join order_items
        on purchases.order_id = order_items.order_id
    where order_items.category = '{{ category }}'
    group by purchases.customer_id
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
        customers.value_tier,
        customers.last_purchase_date,
        category_buyers.category_orders,
        category_buyers.last_category_purchase_date,
        {{ crm_holdout_group('customers.customer_id', campaign_seed, control_share) | indent(8) }} as group_name
    from customers
    inner join category_buyers
        on customers.customer_id = category_buyers.customer_id
    left join recently_contacted
        on customers.customer_id = recently_contacted.member_id
    where
        customers.customer_type = 'returning'
        and customers.age >= {{ min_age }}
        and customers.{{ channel }}_opt_in
        and recently_contacted.member_id is null
),

final as (
    select
        customer_id,
        group_name,
        '{{ campaign_seed }}' as campaign_seed,
        '{{ category }}' as launch_category,
        '{{ channel }}' as channel,
        age,
        age_band,
        lifecycle_segment,
        value_tier,
        last_purchase_date,
        category_orders,
        last_category_purchase_date,
        {{ crm_as_of_date() }} as as_of_date
    from audience
)

select * from final
