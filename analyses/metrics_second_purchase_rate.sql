{#- Analyst example: the share of first-time buyers who come back within 30, 60 and
    90 days, per monthly cohort of first purchases, with the second_purchase_rate macro
    on the occasion grain (a second order on the first day is not a second purchase). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

second_purchases as (
    {{ second_purchase_rate('occasions', [30, 60, 90], 'month') | indent(4) }}
),

final as (
    select
        cohort_start,
        window_days,
        first_time_buyers,
        eligible_buyers,
        second_purchasers,
        second_purchase_rate,
        is_complete
    from second_purchases
)

select * from final
