{#- Every campaign of the build, with the contract's defaults: the campaigns input,
    plus the campaign_ids that appear only in contacts made on or before as_of_date
    (is_in_campaigns_input false, the descriptive columns null). A missing response
    window is 30 days, a missing cost 0. focus_level says which response rule the
    campaign's contacts are measured by: 'product' when it names a
    promoted_product_id (the product wins when both are given), 'category' when it
    names only a promoted_category, null (any purchase responds) otherwise.
    One row per campaign_id. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

campaigns as (
    select * from {{ ref('stg_crm__campaigns') }}
),

contacts as (
    select * from {{ ref('stg_crm__campaign_contacts') }}
),

contact_only_campaigns as (
    select distinct contacts.campaign_id
    from contacts
    left join campaigns
        on contacts.campaign_id = campaigns.campaign_id
    where
        campaigns.campaign_id is null
        and cast(contacts.contacted_at as date) <= {{ crm_as_of_date() }}
),

unioned as (
    select
        campaign_id,
        campaign_name,
        objective,
        channel,
        start_date,
        end_date,
        response_window_days,
        cost_per_contact,
        incentive_cost_per_response,
        promoted_product_id,
        promoted_category,
        program_id,
        margin_per_response,
        true as is_in_campaigns_input
    from campaigns
    union all
    select
        campaign_id,
        cast(null as {{ dbt.type_string() }}) as campaign_name,
        cast(null as {{ dbt.type_string() }}) as objective,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as date) as start_date,
        cast(null as date) as end_date,
        cast(null as {{ dbt.type_int() }}) as response_window_days,
        cast(null as decimal(18, 2)) as cost_per_contact,
        cast(null as decimal(18, 2)) as incentive_cost_per_response,
        cast(null as {{ dbt.type_string() }}) as promoted_product_id,
        cast(null as {{ dbt.type_string() }}) as promoted_category,
        cast(null as {{ dbt.type_string() }}) as program_id,
        cast(null as decimal(18, 2)) as margin_per_response,
        false as is_in_campaigns_input
    from contact_only_campaigns
),

final as (
    select
        campaign_id,
        campaign_name,
        objective,
        channel,
        start_date,
        end_date,
        is_in_campaigns_input,
        promoted_product_id,
        promoted_category,
        program_id,
        margin_per_response,
        cast(coalesce(cost_per_contact, 0) as decimal(18, 2)) as cost_per_contact,
        cast(coalesce(incentive_cost_per_response, 0) as decimal(18, 2)) as incentive_cost_per_response,
        coalesce(response_window_days, 30) as response_window_days,
        case
            when promoted_product_id is not null then 'product'
            when promoted_category is not null then 'category'
        end as focus_level
    from unioned
)

select * from final
