{#- Before / after comparison of each campaign group (issue 7): for every contact,
    a window of var campaign_before_after_window_days (W, default 90) days before
    the contact date [d - W, d - 1] and one from it [d, d + W - 1]. Per campaign x
    group_name x attendance (all; event campaigns also split their treatment group
    into attended / not_attended): average spend and purchase occasions per
    customer and the average purchase interval (days from the previous occasion,
    over the occasions in the window that have one), after minus before, and on
    treatment rows the difference-in-differences against the whole control group.
    After windows ending after as_of_date are flagged incomplete. -#}
{%- set window_days = var('campaign_before_after_window_days', 90) | int -%}

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

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

contact_occasions as (
    select
        contacts.campaign_id,
        contacts.member_id,
        occasions.net_amount,
        occasions.purchase_date < contacts.contact_date as is_before,
        case
            when occasions.previous_purchase_date is not null
                then {{ dbt.datediff('occasions.previous_purchase_date', 'occasions.purchase_date', 'day') }}
        end as interval_days
    from contacts
    inner join occasions
        on
            contacts.member_id = occasions.customer_id
            and occasions.purchase_date >= {{ crm_customer_add_days(-window_days, 'contacts.contact_date') }}
            and occasions.purchase_date <= {{ crm_customer_add_days(window_days - 1, 'contacts.contact_date') }}
),

contact_windows as (
    select
        campaign_id,
        member_id,
        sum(case when is_before then 1 else 0 end) as occasions_before,
        sum(case when is_before then 0 else 1 end) as occasions_after,
        sum(case when is_before then net_amount else 0 end) as revenue_before,
        sum(case when is_before then 0 else net_amount end) as revenue_after,
        sum(case when is_before then interval_days end) as interval_days_before,
        sum(case when not is_before then interval_days end) as interval_days_after,
        sum(case when is_before and interval_days is not null then 1 else 0 end) as intervals_before,
        sum(case when not is_before and interval_days is not null then 1 else 0 end) as intervals_after
    from contact_occasions
    group by campaign_id, member_id
),

contacts_measured as (
    select
        contacts.campaign_id,
        contacts.member_id,
        contacts.group_name,
        case when contacts.attended then 'attended' else 'not_attended' end as attendance,
        contacts.channel = 'event' and contacts.group_name = 'treatment' as is_split_by_attendance,
        {{ crm_customer_add_days(window_days - 1, 'contacts.contact_date') }} <= {{ crm_as_of_date() }}
            as is_after_window_complete,
        coalesce(contact_windows.occasions_before, 0) as occasions_before,
        coalesce(contact_windows.occasions_after, 0) as occasions_after,
        coalesce(contact_windows.revenue_before, 0) as revenue_before,
        coalesce(contact_windows.revenue_after, 0) as revenue_after,
        coalesce(contact_windows.interval_days_before, 0) as interval_days_before,
        coalesce(contact_windows.interval_days_after, 0) as interval_days_after,
        coalesce(contact_windows.intervals_before, 0) as intervals_before,
        coalesce(contact_windows.intervals_after, 0) as intervals_after
    from contacts
    left join contact_windows
        on
            contacts.campaign_id = contact_windows.campaign_id
            and contacts.member_id = contact_windows.member_id
),

attendance_groups as (
    select
        campaign_id,
        group_name,
        'all' as attendance,
        is_after_window_complete,
        occasions_before,
        occasions_after,
        revenue_before,
        revenue_after,
        interval_days_before,
        interval_days_after,
        intervals_before,
        intervals_after
    from contacts_measured
    union all
    select
        campaign_id,
        group_name,
        attendance,
        is_after_window_complete,
        occasions_before,
        occasions_after,
        revenue_before,
        revenue_after,
        interval_days_before,
        interval_days_after,
        intervals_before,
        intervals_after
    from contacts_measured
    where is_split_by_attendance
),

grouped as (
    select
        campaign_id,
        group_name,
        attendance,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(sum(case when occasions_before > 0 then 1 else 0 end) as {{ dbt.type_bigint() }}) as buyers_before,
        cast(sum(case when occasions_after > 0 then 1 else 0 end) as {{ dbt.type_bigint() }}) as buyers_after,
        cast(sum(occasions_before) as {{ dbt.type_bigint() }}) as occasions_before,
        cast(sum(occasions_after) as {{ dbt.type_bigint() }}) as occasions_after,
        cast(sum(revenue_before) as decimal(18, 2)) as revenue_before,
        cast(sum(revenue_after) as decimal(18, 2)) as revenue_after,
        cast(sum(interval_days_before) as double) / nullif(sum(intervals_before), 0)
            as avg_purchase_interval_days_before,
        cast(sum(interval_days_after) as double) / nullif(sum(intervals_after), 0)
            as avg_purchase_interval_days_after,
        cast(sum(case when is_after_window_complete then 0 else 1 end) as {{ dbt.type_bigint() }})
            as incomplete_after_windows
    from attendance_groups
    group by campaign_id, group_name, attendance
),

per_customer as (
    {#- Money per customer is rounded half up from integer cents, the same on DuckDB
        and Spark; changes and DiD are then exact decimal differences. -#}
    select
        *,
        {{ crm_customer_money_div(crm_customer_cents('revenue_before'), 'customers') }}
            as spend_per_customer_before,
        {{ crm_customer_money_div(crm_customer_cents('revenue_after'), 'customers') }}
            as spend_per_customer_after,
        cast(occasions_before as double) / nullif(customers, 0) as occasions_per_customer_before,
        cast(occasions_after as double) / nullif(customers, 0) as occasions_per_customer_after
    from grouped
),

compared as (
    select
        per_customer.*,
        control_group.customers is not null as has_control_group,
        case
            when per_customer.group_name = 'treatment'
                then
                    (per_customer.spend_per_customer_after - per_customer.spend_per_customer_before)
                    - (control_group.spend_per_customer_after - control_group.spend_per_customer_before)
        end as did_spend_per_customer,
        case
            when per_customer.group_name = 'treatment'
                then
                    (per_customer.occasions_per_customer_after - per_customer.occasions_per_customer_before)
                    - (control_group.occasions_per_customer_after - control_group.occasions_per_customer_before)
        end as did_occasions_per_customer,
        case
            when per_customer.group_name = 'treatment'
                then
                    (per_customer.avg_purchase_interval_days_after - per_customer.avg_purchase_interval_days_before)
                    - (control_group.avg_purchase_interval_days_after - control_group.avg_purchase_interval_days_before)
        end as did_avg_purchase_interval_days
    from per_customer
    left join per_customer as control_group
        on
            per_customer.campaign_id = control_group.campaign_id
            and control_group.group_name = 'control'
            and control_group.attendance = 'all'
),

final as (
    select
        compared.campaign_id,
        compared.group_name,
        compared.attendance,
        campaigns.campaign_name,
        campaigns.channel,
        cast({{ window_days }} as {{ dbt.type_int() }}) as window_days,
        compared.customers,
        compared.buyers_before,
        compared.buyers_after,
        compared.occasions_before,
        compared.occasions_after,
        compared.revenue_before,
        compared.revenue_after,
        compared.spend_per_customer_before,
        compared.spend_per_customer_after,
        cast(compared.spend_per_customer_after - compared.spend_per_customer_before as decimal(18, 2))
            as spend_per_customer_change,
        compared.occasions_per_customer_before,
        compared.occasions_per_customer_after,
        compared.avg_purchase_interval_days_before,
        compared.avg_purchase_interval_days_after,
        compared.avg_purchase_interval_days_after - compared.avg_purchase_interval_days_before
            as avg_purchase_interval_change,
        compared.has_control_group,
        cast(compared.did_spend_per_customer as decimal(18, 2)) as did_spend_per_customer,
        compared.did_occasions_per_customer,
        compared.did_avg_purchase_interval_days,
        compared.incomplete_after_windows,
        compared.incomplete_after_windows = 0 as is_after_window_complete,
        {{ crm_as_of_date() }} as as_of_date
    from compared
    left join campaigns
        on compared.campaign_id = campaigns.campaign_id
)

select * from final
