{#- The kept orders of the build (all statuses, guests included): every order placed
    on or before as_of_date, and every purchase made on or before it. is_purchase is
    the purchase rule as of as_of_date (docs/definitions.md#purchases-and-occasions):
    a purchase in staging (status paid | shipped | completed, a member_id,
    net_amount > 0) whose purchase_date is on or before as_of_date; purchase_date is
    null on the other rows. Later facts stay in staging. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

classified as (
    select
        *,
        coalesce(is_purchase and purchase_date <= {{ crm_as_of_date() }}, false) as is_purchase_as_of
    from orders
),

final as (
    select
        order_id,
        member_id as customer_id,
        store_id,
        channel,
        status,
        ordered_at,
        paid_at,
        order_date,
        amount,
        refund_amount,
        net_amount,
        is_purchase_as_of as is_purchase,
        case when is_purchase_as_of then purchase_date end as purchase_date
    from classified
    where
        order_date <= {{ crm_as_of_date() }}
        or is_purchase_as_of
)

select * from final
