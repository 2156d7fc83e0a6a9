{#- Lifecycle stage intervals of every customer (and of members while they are
    prospects), as of as_of_date: one row per spell in a (stage, customer_type).
    valid_from and valid_to are inclusive; valid_to is null for the current spell.
    The stage of a customer on day d <= as_of_date is the row with
    valid_from <= d and (valid_to is null or d <= valid_to). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

intervals as (
    select * from {{ ref('int_lifecycle_intervals_derived') }}
),

final as (
    select
        customer_id,
        lifecycle_stage,
        customer_type,
        valid_from,
        valid_to,
        {{ crm_lifecycle_segment('customer_type', 'lifecycle_stage') }} as lifecycle_segment,
        valid_to is null as is_current,
        {{ crm_as_of_date() }} as as_of_date
    from intervals
)

select * from final
