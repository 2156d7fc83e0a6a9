with

base as (
    select * from {{ ref('base_crm__campaigns') }}
    where disposition = 'kept'
),

final as (
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
        margin_per_response
    from base
)

select * from final
