{#- Analyst example: quarterly active-customer ARPU (the quarter's revenue / the
    customers who bought in the quarter) of each store, with the active_customer_arpu
    macro on the occasion grain of each store (crm_purchase_occasions partitioned by store). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

{# partition columns must not be null: the macros join on them #}
purchases_by_store as (
    select
        customer_id,
        purchase_date,
        net_amount,
        coalesce(store_id, 'unknown') as store_id
    from purchases
),

occasions_by_store as (
    {{ crm_purchase_occasions('purchases_by_store', ['store_id']) | indent(4) }}
),

arpu as (
    {{ active_customer_arpu('occasions_by_store', 'quarter', partition_by=['store_id']) | indent(4) }}
),

final as (
    select
        store_id,
        period_start,
        active_customers,
        revenue,
        active_customer_arpu,
        is_complete
    from arpu
)

select * from final
