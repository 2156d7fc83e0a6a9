with

base as (
    select * from {{ ref('base_crm__campaign_contacts') }}
    where disposition = 'kept'
),

final as (
    select
        campaign_id,
        member_id,
        group_name,
        contacted_at,
        attended
    from base
)

select * from final
