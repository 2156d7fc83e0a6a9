{#- The cohort retention matrix split by acquisition channel (the channel of each
    customer's first purchase): flash-sale-acquired customers return less often. -#}

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
    {{ crm_cohort_retention_split('occasions', 'customers', 'acquisition_channel') | indent(4) }}
)

select * from final
