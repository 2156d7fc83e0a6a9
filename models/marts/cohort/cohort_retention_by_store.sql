{#- The cohort retention matrix split by first store (the store of each
    customer's first purchase). -#}
{%- set cohort_grain = var('cohort_grain') -%}
{%- if cohort_grain not in ['week', 'month', 'quarter'] -%}
    {{ exceptions.raise_compiler_error(
        "var cohort_grain = '" ~ cohort_grain ~ "' is not supported: use week, month or quarter."
    ) }}
{%- endif -%}

with

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

customers as (
    select * from {{ ref('int_customers_cohorted') }}
),

occasions_with_store as (
    select
        occasions.customer_id,
        occasions.purchase_date,
        occasions.orders_count,
        occasions.net_amount,
        occasions.occasion_number,
        occasions.previous_purchase_date,
        occasions.next_purchase_date,
        customers.first_store_id
    from occasions
    inner join customers
        on occasions.customer_id = customers.customer_id
),

matrix as (
    {{ crm_cohort_retention_matrix(
        'occasions_with_store', cohort_grain, ['first_store_id'], prepared=true
    ) | indent(4) }}
),

final as (
    select
        first_store_id,
        cohort_start,
        cast(period_number as int) as period_number,
        cohort_size,
        active_customers,
        retention_rate,
        orders_count,
        revenue,
        cumulative_revenue_per_customer,
        is_complete,
        cohort_grain,
        period_start,
        period_end
    from matrix
)

select * from final
