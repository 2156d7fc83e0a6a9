{#- The campaign's share of its promoted product's / category's sales (issue 24,
    item 4): one row per campaign with a product focus (int_campaigns_unioned.focus_level)
    and contacts up to as_of_date. The campaign window runs from the first contact
    date to the last contact's window end (capped by as_of_date through the purchase
    rule). promoted_spend is every buyer's promoted net spend in the window
    (int_campaign_promoted_orders_matched); responder_promoted_spend is the treatment
    group's responses (int_campaign_contacts_measured.promoted_revenue: purchases at or
    after the contact, in its response window), and campaign_spend_share their ratio. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

promoted_orders as (
    select * from {{ ref('int_campaign_promoted_orders_matched') }}
),

campaign_windows as (
    select
        campaign_id,
        min(contact_date) as window_start_date,
        max(window_end_date) as window_end_date,
        sum(case when group_name = 'treatment' then 1 else 0 end) as treatment_contacted,
        sum(case when group_name = 'treatment' and is_responder then 1 else 0 end) as treatment_responders,
        sum(case when group_name = 'treatment' then promoted_revenue else 0 end) as responder_promoted_spend,
        sum(case when group_name = 'control' then 1 else 0 end) as control_contacted,
        sum(case when group_name = 'control' and is_responder then 1 else 0 end) as control_responders,
        sum(case when group_name = 'control' then promoted_revenue else 0 end) as control_promoted_spend
    from contacts
    where focus_level is not null
    group by campaign_id
),

window_sales as (
    select
        campaign_windows.campaign_id,
        count(*) as promoted_orders,
        count(distinct promoted_orders.customer_id) as promoted_buyers,
        sum(promoted_orders.promoted_net_amount) as promoted_spend
    from campaign_windows
    inner join promoted_orders
        on
            campaign_windows.campaign_id = promoted_orders.campaign_id
            and campaign_windows.window_start_date <= promoted_orders.purchase_date
            and campaign_windows.window_end_date >= promoted_orders.purchase_date
    group by campaign_windows.campaign_id
),

final as (
    select
        campaign_windows.campaign_id,
        campaigns.campaign_name,
        campaigns.focus_level,
        campaigns.promoted_product_id,
        campaigns.promoted_category,
        campaign_windows.window_start_date,
        campaign_windows.window_end_date,
        campaign_windows.window_end_date <= {{ crm_as_of_date() }} as is_window_complete,
        cast(campaign_windows.treatment_contacted as {{ dbt.type_bigint() }}) as treatment_contacted,
        cast(campaign_windows.treatment_responders as {{ dbt.type_bigint() }}) as treatment_responders,
        cast(campaign_windows.control_contacted as {{ dbt.type_bigint() }}) as control_contacted,
        cast(campaign_windows.control_responders as {{ dbt.type_bigint() }}) as control_responders,
        cast(campaign_windows.responder_promoted_spend as decimal(18, 2)) as responder_promoted_spend,
        cast(campaign_windows.control_promoted_spend as decimal(18, 2)) as control_promoted_spend,
        cast(coalesce(window_sales.promoted_orders, 0) as {{ dbt.type_bigint() }}) as promoted_orders,
        cast(coalesce(window_sales.promoted_buyers, 0) as {{ dbt.type_bigint() }}) as promoted_buyers,
        cast(coalesce(window_sales.promoted_spend, 0) as decimal(18, 2)) as promoted_spend,
        cast(campaign_windows.responder_promoted_spend as double)
        / nullif(cast(window_sales.promoted_spend as double), 0) as campaign_spend_share,
        {{ crm_as_of_date() }} as as_of_date
    from campaign_windows
    inner join campaigns
        on campaign_windows.campaign_id = campaigns.campaign_id
    left join window_sales
        on campaign_windows.campaign_id = window_sales.campaign_id
)

select * from final
