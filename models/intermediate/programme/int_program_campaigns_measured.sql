{#- The campaigns tagged to a CRM programme project (campaigns input, optional column
    program_id), each measured as campaign_performance measures it: the per-group
    measures of int_campaign_contacts_measured (macro crm_campaign_group_measures)
    and the treatment-vs-control comparison (macro crm_campaign_effects), one row
    per campaign with its treatment group's results. first_contact_date is the
    campaign's first contact (either group) on or before as_of_date: the
    programme reports a campaign in the week it started. Campaigns without a
    treatment contact have no row. -#}

with

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

tagged_contacts as (
    select contacts.*
    from contacts
    inner join campaigns
        on contacts.campaign_id = campaigns.campaign_id
    where campaigns.program_id is not null
),

grouped as (
    select
        campaign_id,
        group_name,
        {{ crm_campaign_group_measures() | indent(8) }},
        min(contact_date) as first_contact_date
    from tagged_contacts
    group by campaign_id, group_name
),

compared as (
    {{ crm_campaign_effects('grouped', ['campaign_id']) | indent(4) }}
),

started as (
    select
        campaign_id,
        min(first_contact_date) as first_contact_date
    from grouped
    group by campaign_id
),

final as (
    select
        compared.campaign_id,
        campaigns.program_id,
        started.first_contact_date,
        compared.contacted,
        compared.responders,
        compared.revenue,
        compared.has_control_group,
        compared.incremental_responders,
        compared.incremental_revenue,
        compared.cost,
        compared.roi
    from compared
    inner join campaigns
        on compared.campaign_id = campaigns.campaign_id
    inner join started
        on compared.campaign_id = started.campaign_id
    where compared.group_name = 'treatment'
)

select * from final
