{#- The seed's wake-up rate (唤醒率) and activation rate (激活率) of campaigns
    (docs/definitions.md#rates): among the contacts of a campaign whose member was sleeping
    (wake-up) or lost (activation) on the day before the contact, the share who
    responded (a purchase at or after contacted_at within the response window), in
    the treatment group beside the control group, the lift (treatment rate - control
    rate) and the incremental responders (lift x treatment contacts). Per campaign
    (grain 'campaign') and per month of contact over every campaign (grain 'month').
    The uncontacted, natural return rate of each stage is reactivation_rates. -#}

with

contacts as (
    select * from {{ ref('int_campaign_contacts_segmented') }}
),

reactivation_contacts as (
    select
        campaign_id,
        {{ crm_period_start('month', 'contact_date') }} as contact_month,
        case when lifecycle_stage = 'sleeping' then 'wake_up_rate' else 'activation_rate' end as rate_name,
        group_name,
        is_responder,
        is_window_complete
    from contacts
    where lifecycle_stage in ('sleeping', 'lost')
),

rate_names as (
    select
        'wake_up_rate' as rate_name,
        'sleeping' as from_stage
    union all
    select
        'activation_rate' as rate_name,
        'lost' as from_stage
),

{# Every campaign and every month with a contact gets both rates, zeros included. #}
keys as (
    select distinct
        'campaign' as grain,
        campaign_id,
        cast(null as date) as contact_month
    from contacts
    union all
    select distinct
        'month' as grain,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        {{ crm_period_start('month', 'contact_date') }} as contact_month
    from contacts
),

keyed as (
    select
        'campaign' as grain,
        campaign_id,
        cast(null as date) as contact_month,
        rate_name,
        group_name,
        is_responder,
        is_window_complete
    from reactivation_contacts
    union all
    select
        'month' as grain,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        contact_month,
        rate_name,
        group_name,
        is_responder,
        is_window_complete
    from reactivation_contacts
),

counted as (
    select
        grain,
        campaign_id,
        contact_month,
        rate_name,
        sum(case when group_name = 'treatment' then 1 else 0 end) as treatment_contacts,
        sum(case when group_name = 'treatment' and is_responder then 1 else 0 end) as treatment_responders,
        sum(case when group_name = 'control' then 1 else 0 end) as control_contacts,
        sum(case when group_name = 'control' and is_responder then 1 else 0 end) as control_responders,
        min(case when is_window_complete then 1 else 0 end) as all_windows_complete
    from keyed
    group by
        grain,
        campaign_id,
        contact_month,
        rate_name
),

rated as (
    select
        keys.grain,
        keys.campaign_id,
        keys.contact_month,
        rate_names.rate_name,
        rate_names.from_stage,
        cast(coalesce(counted.treatment_contacts, 0) as {{ dbt.type_bigint() }}) as treatment_contacts,
        cast(coalesce(counted.treatment_responders, 0) as {{ dbt.type_bigint() }}) as treatment_responders,
        cast(counted.treatment_responders as double) / nullif(counted.treatment_contacts, 0) as treatment_rate,
        cast(coalesce(counted.control_contacts, 0) as {{ dbt.type_bigint() }}) as control_contacts,
        cast(coalesce(counted.control_responders, 0) as {{ dbt.type_bigint() }}) as control_responders,
        cast(counted.control_responders as double) / nullif(counted.control_contacts, 0) as control_rate,
        coalesce(counted.all_windows_complete, 1) = 1 as is_window_complete
    from keys
    cross join rate_names
    left join counted
        on
            keys.grain = counted.grain
            and coalesce(keys.campaign_id, '') = coalesce(counted.campaign_id, '')
            and coalesce(keys.contact_month, {{ crm_date_literal('1900-01-01') }})
            = coalesce(counted.contact_month, {{ crm_date_literal('1900-01-01') }})
            and rate_names.rate_name = counted.rate_name
),

final as (
    select
        grain,
        campaign_id,
        contact_month,
        rate_name,
        from_stage,
        treatment_contacts,
        treatment_responders,
        treatment_rate,
        control_contacts,
        control_responders,
        control_rate,
        is_window_complete,
        control_contacts > 0 as has_control_group,
        treatment_rate - control_rate as lift,
        (treatment_rate - control_rate) * treatment_contacts as incremental_responders
    from rated
)

select * from final
