{#- Loyalty points per member as of as_of_date (docs/definitions.md#loyalty-points):
    one row per member with a points ledger line up to as_of_date. Balance, earned,
    redeemed, deducted and expired points (first-expiring-first consumption; the
    ledger's own expire lines and the FIFO expiry are not counted twice), the
    points expiring in the next var points_expiring_days days, and the large
    redemptions (var points_large_redemption_threshold). The rules live in
    int_points_customers_summarized; lifecycle columns from the customer state.
    Empty, with the same columns, when the points input is absent. -#}
{%- set expiring_days = var('points_expiring_days') | int -%}
{%- set large_threshold = var('points_large_redemption_threshold') | int -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

points as (
    select * from {{ ref('int_points_customers_summarized') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

final as (
    select
        points.customer_id,
        customer_state.customer_type,
        customer_state.lifecycle_stage,
        customer_state.member_tier,
        points.points_balance,
        points.earned_points,
        points.redeemed_points,
        points.deducted_points,
        points.expired_points,
        points.ledger_expired_points,
        points.fifo_expired_points,
        cast({{ expiring_days }} as {{ dbt.type_int() }}) as expiring_window_days,
        points.expiring_points,
        points.next_expiry_date,
        points.never_expiring_points,
        points.redemptions_count,
        cast({{ large_threshold }} as {{ dbt.type_bigint() }}) as large_redemption_threshold,
        points.large_redemptions_count,
        points.largest_redemption_points,
        points.last_large_redemption_at,
        points.points_balance < 0 as is_overdrawn,
        points.first_movement_at,
        points.last_movement_at,
        {{ crm_as_of_date() }} as as_of_date
    from points
    left join customer_state
        on points.customer_id = customer_state.customer_id
)

select * from final
