{#- Customers per lifecycle stage and type on any past day: one interval lookup in
    customer_lifecycle_history (valid_from and valid_to inclusive, null valid_to =
    still current). Change the day below (it must be on or before as_of_date). -#}
{%- set on_day = "cast('2025-12-31' as date)" -%}

with

history as (
    select * from {{ ref('customer_lifecycle_history') }}
),

on_day as (
    select
        customer_id,
        lifecycle_stage,
        customer_type
    from history
    where
        valid_from <= {{ on_day }}
        and (valid_to is null or valid_to >= {{ on_day }})
),

final as (
    select
        lifecycle_stage,
        customer_type,
        count(*) as customers
    from on_day
    group by lifecycle_stage, customer_type
)

select * from final
