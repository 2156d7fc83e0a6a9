{#- Campaign results against the control group (issue 7): one row per campaign x
    group_name (treatment | control) with contacts up to as_of_date. Responders
    bought within [contact_date, contact_date + response_window_days]; revenue and
    aov count the orders in that window. On treatment rows: lift over the control
    rate, pooled two-proportion z-test, 95 % confidence interval of the lift
    (unpooled), incremental responders and revenue, cost, ROI and the "1 : X"
    input-output ratio (macro crm_campaign_effects). A campaign without a control
    group keeps those null and has_control_group false. -#}

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

grouped as (
    select
        campaign_id,
        group_name,
        {{ crm_campaign_group_measures() | indent(8) }},
        max(response_window_days) as response_window_days,
        min(contact_date) as first_contact_date,
        max(contact_date) as last_contact_date,
        max(window_end_date) as last_window_end_date
    from contacts
    group by campaign_id, group_name
),

compared as (
    {{ crm_campaign_effects('grouped', ['campaign_id']) | indent(4) }}
),

final as (
    select
        compared.campaign_id,
        compared.group_name,
        campaigns.campaign_name,
        campaigns.objective,
        campaigns.channel,
        campaigns.start_date,
        campaigns.end_date,
        cast(compared.response_window_days as {{ dbt.type_int() }}) as response_window_days,
        compared.cost_per_contact,
        compared.incentive_cost_per_response,
        compared.first_contact_date,
        compared.last_contact_date,
        compared.last_window_end_date,
        {{ crm_campaign_result_columns() | indent(8) }},
        {{ crm_as_of_date() }} as as_of_date
    from compared
    left join campaigns
        on compared.campaign_id = campaigns.campaign_id
)

select * from final
