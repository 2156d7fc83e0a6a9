{#- The gross margin one response earns, per campaign of the build
    (int_campaigns_unioned): margin_per_response of the campaigns input, else var
    break_even_margin_per_response (margin_source says which). Read by
    campaign_break_even. -#}

with

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

campaigns_input as (
    select * from {{ ref('stg_crm__campaigns') }}
),

final as (
    select
        campaigns.campaign_id,
        cast(
            coalesce(campaigns_input.margin_per_response, {{ var('break_even_margin_per_response') }})
            as decimal(18, 2)
        ) as margin_per_response,
        case
            when campaigns_input.margin_per_response is not null then 'campaign'
            else 'var'
        end as margin_source
    from campaigns
    left join campaigns_input
        on campaigns.campaign_id = campaigns_input.campaign_id
)

select * from final
