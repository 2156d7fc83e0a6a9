{#- The cohort retention matrix split by first store (the store of each
    customer's first purchase). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

customers as (
    select * from {{ ref('int_customers_cohorted') }}
),

final as (
    {{ crm_cohort_retention_split('occasions', 'customers', 'first_store_id') | indent(4) }}
)

select * from final
