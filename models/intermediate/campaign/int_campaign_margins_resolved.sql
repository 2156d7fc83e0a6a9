{#- The gross margin one response earns, per campaign of the build
    (int_campaigns_unioned): margin_per_response of the campaigns input, else var
    break_even_margin_per_response (margin_source says which). Read by
    campaign_break_even. -#}

with

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

final as (
    select
        campaign_id,
        cast(
            coalesce(margin_per_response, {{ var('break_even_margin_per_response') }})
            as decimal(18, 2)
        ) as margin_per_response,
        case
            when margin_per_response is not null then 'campaign'
            else 'var'
        end as margin_source
    from campaigns
)

select * from final
