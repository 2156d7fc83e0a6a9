{#- Purchase occasions: one row per (customer, purchase_date). Several orders on
    one day are one occasion; repeat behaviour is counted in occasions.
    Incremental on DuckDB (macros/incremental/incremental_scope.sql): a run
    recomputes every occasion of the customers in scope, a table elsewhere. -#}
{{ config(
    materialized=crm_incremental_materialization(),
    incremental_strategy='crm_customer_scope',
    on_schema_change='fail',
    meta={'crm_incremental': {'customer_column': 'customer_id'}},
    post_hook="{{ crm_incremental_record_state() }}",
) }}
{{- crm_incremental_scope_refs() }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
    {%- if is_incremental() %}
    where {{ crm_incremental_in_scope('customer_id') }}
    {%- endif %}
),

grouped as (
    select
        customer_id,
        purchase_date,
        count(*) as orders_count,
        sum(net_amount) as net_amount
    from purchases
    group by customer_id, purchase_date
),

final as (
    select
        customer_id,
        purchase_date,
        orders_count,
        net_amount,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as occasion_number,
        lag(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date,
        lead(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as next_purchase_date
    from grouped
)

select * from final
