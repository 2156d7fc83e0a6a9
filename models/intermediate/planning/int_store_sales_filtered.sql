{#- Sales at a store (docs/definitions.md#purchases-and-occasions): kept orders of members
    AND guests that pass the sale rule (crm_is_sale: the purchase rule without the
    member requirement), with a store_id, dated on or before as_of_date. One row per
    order. The base of the member capture rate (store_performance). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

final as (
    select
        order_id,
        store_id,
        member_id,
        {{ crm_sale_date() }} as sale_date
    from orders
    where
        store_id is not null
        and {{ crm_is_sale() }}
        and {{ crm_sale_date() }} <= {{ crm_as_of_date() }}
)

select * from final
