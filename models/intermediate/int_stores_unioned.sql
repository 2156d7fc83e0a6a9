{#- Every store of the build: the stores input, plus the store_ids that appear only
    in kept orders placed on or before as_of_date (is_in_stores_input false, the
    descriptive columns null). One row per store_id. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

stores as (
    select * from {{ ref('stg_crm__stores') }}
),

orders as (
    select * from {{ ref('int_orders_classified') }}
),

order_only_stores as (
    select distinct orders.store_id
    from orders
    left join stores
        on orders.store_id = stores.store_id
    where
        orders.store_id is not null
        and stores.store_id is null
        and orders.order_date <= {{ crm_as_of_date() }}
),

final as (
    select
        store_id,
        store_name,
        city,
        store_type,
        opened_at,
        true as is_in_stores_input
    from stores
    union all
    select
        store_id,
        cast(null as {{ dbt.type_string() }}) as store_name,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as store_type,
        cast(null as date) as opened_at,
        false as is_in_stores_input
    from order_only_stores
)

select * from final
