{#- One clear message when there is nothing to build from (macros/as_of_date_default.sql). -#}
{{ config(post_hook="{{ crm_check_orders_usable() }}") }}

with

base as (
    select * from {{ ref('base_crm__orders') }}
    where disposition = 'kept'
),

flagged as (
    select
        *,
        amount - refund_amount as net_amount,
        (
            status in ('paid', 'shipped', 'completed')
            and member_id is not null
            and amount - refund_amount > 0
        ) as is_purchase
    from base
),

final as (
    select
        order_id,
        member_id,
        store_id,
        channel,
        status,
        ordered_at,
        paid_at,
        amount,
        refund_amount,
        net_amount,
        is_purchase,
        updated_at,
        cast(ordered_at as date) as order_date,
        case
            when is_purchase then cast(coalesce(paid_at, ordered_at) as date)
        end as purchase_date
    from flagged
)

select * from final
