{#- Orders kept by validation, with the purchase rule (macros/purchase_rule.sql: a sale by a
    member) and its date. The post-hook gives one clear message when there is nothing to
    build from (macros/as_of_date_default.sql). -#}
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
            {{ crm_is_sale('status', 'amount - refund_amount') }}
            and member_id is not null
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
            when is_purchase then {{ crm_sale_date() }}
        end as purchase_date
    from flagged
)

select * from final
