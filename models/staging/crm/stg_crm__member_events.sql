with

base as (
    select * from {{ ref('base_crm__member_events') }}
    where disposition = 'kept'
),

final as (
    select
        member_id,
        event_type,
        occurred_at,
        product_id
    from base
)

select * from final
