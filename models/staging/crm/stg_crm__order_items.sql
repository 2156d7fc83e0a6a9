with

base as (
    select * from {{ ref('base_crm__order_items') }}
    where disposition = 'kept'
),

final as (
    select
        order_id,
        line_number,
        product_id,
        category,
        quantity,
        amount
    from base
)

select * from final
