{#- Daily buyers of a campaign's promoted product / category during the campaign
    (issue 24, item 4): one row per campaign with a product focus x day of its window
    (first contact date to the last contact's window end, at most as_of_date), days
    without a buyer included. A buyer of the day is new to the promoted product /
    category when that day is their first promoted purchase ever
    (int_campaign_promoted_orders_matched, the whole history), else returning; and
    contacted when the campaign's treatment group reached them on or before that day
    (control members and everyone else are not contacted). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

promoted_orders as (
    select * from {{ ref('int_campaign_promoted_orders_matched') }}
),

campaign_windows as (
    select
        campaign_id,
        min(contact_date) as window_start_date,
        least(max(window_end_date), {{ crm_as_of_date() }}) as window_last_date
    from contacts
    where focus_level is not null
    group by campaign_id
),

bounds as (
    select
        min(window_start_date) as first_date,
        max(window_last_date) as last_date
    from campaign_windows
),

weeks as (
    {{ crm_period_spine('week', '(select first_date from bounds)', '(select last_date from bounds)') | indent(4) }}
),

days as (
    select cast({{ dbt.dateadd('day', 'weekdays.day_offset', 'weeks.period_start') }} as date) as activity_date
    from weeks
    cross join (values (0), (1), (2), (3), (4), (5), (6)) as weekdays (day_offset)
),

campaign_days as (
    select
        campaign_windows.campaign_id,
        campaign_windows.window_start_date,
        days.activity_date
    from campaign_windows
    inner join days
        on
            campaign_windows.window_start_date <= days.activity_date
            and campaign_windows.window_last_date >= days.activity_date
),

first_promoted as (
    select
        campaign_id,
        customer_id,
        min(purchase_date) as first_promoted_date
    from promoted_orders
    group by campaign_id, customer_id
),

treatment_contacts as (
    select
        campaign_id,
        member_id,
        contact_date
    from contacts
    where focus_level is not null and group_name = 'treatment'
),

day_buyers as (
    select
        promoted_orders.campaign_id,
        promoted_orders.purchase_date,
        promoted_orders.customer_id,
        sum(promoted_orders.promoted_net_amount) as promoted_spend
    from promoted_orders
    inner join campaign_windows
        on
            promoted_orders.campaign_id = campaign_windows.campaign_id
            and promoted_orders.purchase_date >= campaign_windows.window_start_date
            and promoted_orders.purchase_date <= campaign_windows.window_last_date
    group by promoted_orders.campaign_id, promoted_orders.purchase_date, promoted_orders.customer_id
),

buyers_flagged as (
    select
        day_buyers.campaign_id,
        day_buyers.purchase_date,
        day_buyers.promoted_spend,
        first_promoted.first_promoted_date = day_buyers.purchase_date as is_new,
        coalesce(treatment_contacts.contact_date <= day_buyers.purchase_date, false) as is_contacted
    from day_buyers
    inner join first_promoted
        on
            day_buyers.campaign_id = first_promoted.campaign_id
            and day_buyers.customer_id = first_promoted.customer_id
    left join treatment_contacts
        on
            day_buyers.campaign_id = treatment_contacts.campaign_id
            and day_buyers.customer_id = treatment_contacts.member_id
),

day_counts as (
    select
        campaign_id,
        purchase_date,
        count(*) as buyers,
        sum(case when is_new then 1 else 0 end) as new_buyers,
        sum(case when is_contacted and is_new then 1 else 0 end) as contacted_new_buyers,
        sum(case when is_contacted and not is_new then 1 else 0 end) as contacted_returning_buyers,
        sum(case when not is_contacted and is_new then 1 else 0 end) as not_contacted_new_buyers,
        sum(case when not is_contacted and not is_new then 1 else 0 end) as not_contacted_returning_buyers,
        sum(promoted_spend) as promoted_spend,
        sum(case when is_contacted then promoted_spend else 0 end) as contacted_promoted_spend
    from buyers_flagged
    group by campaign_id, purchase_date
),

final as (
    select
        campaign_days.campaign_id,
        campaign_days.activity_date,
        cast(
            {{ dbt.datediff('campaign_days.window_start_date', 'campaign_days.activity_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as day_number,
        {%- for column in [
            'buyers', 'new_buyers', 'contacted_new_buyers', 'contacted_returning_buyers',
            'not_contacted_new_buyers', 'not_contacted_returning_buyers'
        ] %}
        cast(coalesce(day_counts.{{ column }}, 0) as {{ dbt.type_bigint() }}) as {{ column }},
        {%- endfor %}
        cast(coalesce(day_counts.buyers - day_counts.new_buyers, 0) as {{ dbt.type_bigint() }}) as returning_buyers,
        cast(coalesce(day_counts.promoted_spend, 0) as decimal(18, 2)) as promoted_spend,
        cast(coalesce(day_counts.contacted_promoted_spend, 0) as decimal(18, 2)) as contacted_promoted_spend,
        {{ crm_as_of_date() }} as as_of_date
    from campaign_days
    left join day_counts
        on
            campaign_days.campaign_id = day_counts.campaign_id
            and campaign_days.activity_date = day_counts.purchase_date
)

select * from final
