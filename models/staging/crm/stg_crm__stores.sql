with

base as (
    select * from {{ ref('base_crm__stores') }}
    where disposition = 'kept'
),

final as (
    select
        store_id,
        store_name,
        city,
        store_type,
        opened_at
    from base
)

select * from final
