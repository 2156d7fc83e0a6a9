{#- One row per campaign contact made on or before as_of_date (treatment and
    control), with its campaign's terms and its response: the purchases of the
    member (int_purchases_filtered) made at or after contacted_at (purchase time =
    coalesce(paid_at, ordered_at); a contact without time of day is at 00:00, so its
    whole day counts; a purchase at the very instant of the contact counts) and with
    purchase_date on or before contact_date + response_window_days. A window that ends
    after as_of_date is incomplete (flagged). Contacts of a campaign missing from
    the campaigns input use the contract defaults (30-day window, no cost;
    int_campaigns_unioned).
    A campaign with a product focus (int_campaigns_unioned.focus_level) counts only
    the purchases holding its promoted product / category
    (int_campaign_promoted_orders_matched); promoted_revenue is the promoted lines'
    net amount in those purchases (null for a campaign without a focus, whose
    rule is unchanged: every purchase in the window responds).
    A table: five models read it, and it joins contacts to every purchase. -#}
{{ config(materialized='table') }}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

contacts as (
    select * from {{ ref('stg_crm__campaign_contacts') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

promoted_orders as (
    select * from {{ ref('int_campaign_promoted_orders_matched') }}
),

contacts_dated as (
    select
        contacts.campaign_id,
        contacts.member_id,
        contacts.group_name,
        contacts.contacted_at,
        contacts.attended,
        campaigns.channel,
        campaigns.focus_level,
        cast(contacts.contacted_at as date) as contact_date,
        campaigns.cost_per_contact,
        campaigns.incentive_cost_per_response,
        campaigns.response_window_days
    from contacts
    inner join campaigns
        on contacts.campaign_id = campaigns.campaign_id
    where cast(contacts.contacted_at as date) <= {{ crm_as_of_date() }}
),

contacts_windowed as (
    select
        *,
        {{ crm_customer_add_days('response_window_days', 'contact_date') }} as window_end_date
    from contacts_dated
),

responses as (
    select
        contacts_windowed.campaign_id,
        contacts_windowed.member_id,
        count(*) as response_orders,
        sum(purchases.net_amount) as response_revenue,
        min(purchases.purchase_date) as first_response_date,
        sum(promoted_orders.promoted_net_amount) as promoted_revenue
    from contacts_windowed
    inner join purchases
        on
            contacts_windowed.member_id = purchases.customer_id
            and contacts_windowed.contact_date <= purchases.purchase_date
            and contacts_windowed.contacted_at <= coalesce(purchases.paid_at, purchases.ordered_at)
            and contacts_windowed.window_end_date >= purchases.purchase_date
    left join promoted_orders
        on
            contacts_windowed.campaign_id = promoted_orders.campaign_id
            and purchases.order_id = promoted_orders.order_id
    where contacts_windowed.focus_level is null or promoted_orders.order_id is not null
    group by contacts_windowed.campaign_id, contacts_windowed.member_id
),

final as (
    select
        contacts_windowed.campaign_id,
        contacts_windowed.member_id,
        contacts_windowed.group_name,
        contacts_windowed.channel,
        contacts_windowed.focus_level,
        contacts_windowed.contacted_at,
        contacts_windowed.contact_date,
        contacts_windowed.attended,
        contacts_windowed.response_window_days,
        contacts_windowed.window_end_date,
        contacts_windowed.cost_per_contact,
        contacts_windowed.incentive_cost_per_response,
        responses.first_response_date,
        contacts_windowed.window_end_date <= {{ crm_as_of_date() }} as is_window_complete,
        responses.member_id is not null as is_responder,
        cast(coalesce(responses.response_orders, 0) as {{ dbt.type_bigint() }}) as response_orders,
        cast(coalesce(responses.response_revenue, 0) as decimal(18, 2)) as response_revenue,
        case
            when contacts_windowed.focus_level is not null
                then cast(coalesce(responses.promoted_revenue, 0) as decimal(18, 2))
        end as promoted_revenue
    from contacts_windowed
    left join responses
        on
            contacts_windowed.campaign_id = responses.campaign_id
            and contacts_windowed.member_id = responses.member_id
)

select * from final
