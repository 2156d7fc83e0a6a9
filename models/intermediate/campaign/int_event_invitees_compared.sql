{#- One row per invitee of an event campaign (docs/definitions.md#vip-event-shift): the
    treatment contacts of campaigns with channel 'event', attended or not
    (campaign_contacts.attended; null = not attended). Windows of var
    vip_shift_window_days (N, default 90) days: before = [start_date - N,
    start_date - 1], after = [end_date + 1, end_date + N] (end_date missing: the
    start date; start_date missing: the campaign's first contact date). Per window:
    purchase occasions, net spend, the purchase interval N / occasions (null without
    one) and the spend band (crm_vip_spend_band); then the interval shift
    (crm_vip_interval_shift: shortened / same / lengthened / no_purchase) and the
    spend band shift (up / same / down). is_after_window_complete: the after window
    ended by as_of_date. -#}
{%- set window_days = var('vip_shift_window_days') | int %}

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

invitees as (
    select
        campaign_id,
        member_id,
        contact_date,
        coalesce(attended, false) as is_attendee
    from contacts
    where
        channel = 'event'
        and group_name = 'treatment'
),

event_dates as (
    select
        campaigns.campaign_id,
        coalesce(campaigns.start_date, min(invitees.contact_date)) as event_start_date,
        coalesce(campaigns.end_date, campaigns.start_date, min(invitees.contact_date)) as event_end_date
    from campaigns
    inner join invitees
        on campaigns.campaign_id = invitees.campaign_id
    group by campaigns.campaign_id, campaigns.start_date, campaigns.end_date
),

windows as (
    select
        campaign_id,
        event_start_date,
        event_end_date,
        {{ crm_customer_add_days(-window_days, 'event_start_date') }} as before_start_date,
        {{ crm_customer_add_days(-1, 'event_start_date') }} as before_end_date,
        {{ crm_customer_add_days(1, 'event_end_date') }} as after_start_date,
        {{ crm_customer_add_days(window_days, 'event_end_date') }} as after_end_date
    from event_dates
),

invitee_occasions as (
    select
        invitees.campaign_id,
        invitees.member_id,
        sum(
            case when occasions.purchase_date <= windows.before_end_date then 1 else 0 end
        ) as occasions_before,
        sum(
            case when occasions.purchase_date >= windows.after_start_date then 1 else 0 end
        ) as occasions_after,
        sum(
            case when occasions.purchase_date <= windows.before_end_date then occasions.net_amount else 0 end
        ) as spend_before,
        sum(
            case when occasions.purchase_date >= windows.after_start_date then occasions.net_amount else 0 end
        ) as spend_after
    from invitees
    inner join windows
        on invitees.campaign_id = windows.campaign_id
    inner join occasions
        on
            invitees.member_id = occasions.customer_id
            and (
                occasions.purchase_date between windows.before_start_date and windows.before_end_date
                or occasions.purchase_date between windows.after_start_date and windows.after_end_date
            )
    group by invitees.campaign_id, invitees.member_id
),

measured as (
    select
        invitees.campaign_id,
        invitees.member_id,
        invitees.is_attendee,
        windows.event_start_date,
        windows.event_end_date,
        windows.before_start_date,
        windows.after_end_date,
        windows.after_end_date <= {{ crm_as_of_date() }} as is_after_window_complete,
        cast(coalesce(invitee_occasions.occasions_before, 0) as {{ dbt.type_bigint() }}) as occasions_before,
        cast(coalesce(invitee_occasions.occasions_after, 0) as {{ dbt.type_bigint() }}) as occasions_after,
        cast(coalesce(invitee_occasions.spend_before, 0) as decimal(18, 2)) as spend_before,
        cast(coalesce(invitee_occasions.spend_after, 0) as decimal(18, 2)) as spend_after
    from invitees
    inner join windows
        on invitees.campaign_id = windows.campaign_id
    left join invitee_occasions
        on
            invitees.campaign_id = invitee_occasions.campaign_id
            and invitees.member_id = invitee_occasions.member_id
),

banded as (
    select
        *,
        {{ crm_vip_spend_band_index('spend_before') | indent(8) }} as spend_band_before_index,
        {{ crm_vip_spend_band_index('spend_after') | indent(8) }} as spend_band_after_index
    from measured
),

final as (
    select
        campaign_id,
        member_id,
        is_attendee,
        event_start_date,
        event_end_date,
        before_start_date,
        after_end_date,
        is_after_window_complete,
        occasions_before,
        occasions_after,
        spend_before,
        spend_after,
        case
            when occasions_before > 0 then cast({{ window_days }} as double) / occasions_before
        end as purchase_interval_days_before,
        case
            when occasions_after > 0 then cast({{ window_days }} as double) / occasions_after
        end as purchase_interval_days_after,
        {{ crm_vip_interval_shift('occasions_before', 'occasions_after') | indent(8) }} as interval_shift,
        {{ crm_vip_spend_band('spend_band_before_index') | indent(8) }} as spend_band_before,
        {{ crm_vip_spend_band('spend_band_after_index') | indent(8) }} as spend_band_after,
        case
            when spend_band_after_index > spend_band_before_index then 'up'
            when spend_band_after_index < spend_band_before_index then 'down'
            else 'same'
        end as spend_band_shift
    from banded
)

select * from final
