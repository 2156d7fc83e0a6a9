{#- Purchase occasions: one row per (customer, purchase_date). Several orders on
    one day are one occasion; repeat behaviour is counted in occasions. A table:
    most customer models read it. The grain is crm_purchase_occasions
    (macros/metrics/crm_purchase_occasions.sql), the one definition the metric
    macros and their tests share. -#}
{{ config(materialized='table') }}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

final as (
    {{ crm_purchase_occasions('purchases') | indent(4) }}
)

select * from final
