with

base as (
    select * from {{ ref('base_crm__points') }}
    where disposition = 'kept'
),

final as (
    select
        member_id,
        points_delta,
        reason,
        occurred_at,
        expires_at
    from base
)

select * from final
