{#- Loyalty points per member as of as_of_date (docs/definitions.md#loyalty-points),
    from the classified ledger (int_points_movements_classified):
    - Earned lots are consumed first-expiring-first (never-expiring lots last, then by
      earning time: the oldest earned points first when lots share a validity period).
      Redemptions and deductions take points from the lots in that order.
    - A lot expires at its expires_at with whatever is left of it. With lots in
      consumption order, what has expired by time t is the running maximum, over the
      lots expired by t, of (points of the lots up to that one - points used up to its
      expiry time, uses at the same instant first), never below 0: one window, no
      replay of the ledger. Expiry is read at the end of as_of_date: a lot whose
      expires_at falls on as_of_date has expired.
    - Expiry lines the ledger wrote itself (reason 'expire') and this expiry describe the
      same event: expired_points is the larger of the two, so a ledger that writes its
      expiries is not counted twice and one that does not still loses its expired points.
    - points_balance = earned - redeemed - deducted - expired (negative when the ledger
      used more than it held). The points left of each unexpired lot are its share of
      the balance in consumption order; expiring_points sums those expiring within var
      points_expiring_days days after as_of_date.
    - Large redemptions: redeem lines of at least var points_large_redemption_threshold
      points. -#}
{{ config(materialized='table') }}
{%- set expiring_days = var('points_expiring_days') | int -%}
{%- set large_threshold = var('points_large_redemption_threshold') | int -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

movements as (
    select * from {{ ref('int_points_movements_classified') }}
),

{# Uses (redeem, deduct) and lot expiries by end of as_of_date in one time line. #}
expiry_timeline as (
    select
        customer_id,
        occurred_at as event_at,
        0 as event_order,
        points as used_points,
        cast(null as {{ dbt.type_bigint() }}) as cumulative_lot_points
    from movements
    where movement_type in ('redeem', 'deduct')
    union all
    select
        customer_id,
        expires_at as event_at,
        1 as event_order,
        0 as used_points,
        cumulative_lot_points
    from movements
    where
        movement_type = 'earn'
        and expiry_date <= {{ crm_as_of_date() }}
),

used_at_expiry as (
    select
        customer_id,
        event_order,
        cumulative_lot_points,
        sum(used_points) over (
            partition by customer_id
            order by event_at, event_order, used_points
            rows between unbounded preceding and current row
        ) as used_points_to_date
    from expiry_timeline
),

fifo_expiries as (
    select
        customer_id,
        greatest(max(cumulative_lot_points - used_points_to_date), 0) as fifo_expired_points
    from used_at_expiry
    where event_order = 1
    group by customer_id
),

totals as (
    select
        customer_id,
        sum(case when movement_type = 'earn' then points else 0 end) as earned_points,
        sum(case when movement_type = 'redeem' then points else 0 end) as redeemed_points,
        sum(case when movement_type = 'deduct' then points else 0 end) as deducted_points,
        sum(case when movement_type = 'expire' then points else 0 end) as ledger_expired_points,
        sum(case when movement_type = 'redeem' then 1 else 0 end) as redemptions_count,
        sum(
            case when movement_type = 'redeem' and points >= {{ large_threshold }} then 1 else 0 end
        ) as large_redemptions_count,
        max(case when movement_type = 'redeem' then points end) as largest_redemption_points,
        max(
            case when movement_type = 'redeem' and points >= {{ large_threshold }} then occurred_at end
        ) as last_large_redemption_at,
        min(occurred_at) as first_movement_at,
        max(occurred_at) as last_movement_at
    from movements
    group by customer_id
),

balances as (
    select
        totals.*,
        coalesce(fifo_expiries.fifo_expired_points, 0) as fifo_expired_points,
        greatest(totals.ledger_expired_points, coalesce(fifo_expiries.fifo_expired_points, 0)) as expired_points
    from totals
    left join fifo_expiries
        on totals.customer_id = fifo_expiries.customer_id
),

{# What is left of each unexpired lot: lots earlier in consumption order go first. #}
live_lots as (
    select
        movements.customer_id,
        movements.expiry_date,
        least(
            movements.points,
            greatest(
                movements.cumulative_lot_points
                - (balances.redeemed_points + balances.deducted_points + balances.expired_points),
                0
            )
        ) as remaining_points
    from movements
    inner join balances
        on movements.customer_id = balances.customer_id
    where
        movements.movement_type = 'earn'
        and (movements.expiry_date is null or movements.expiry_date > {{ crm_as_of_date() }})
),

expiring as (
    select
        customer_id,
        sum(
            case
                when expiry_date <= {{ crm_customer_add_days(expiring_days, crm_as_of_date()) }}
                    then remaining_points
                else 0
            end
        ) as expiring_points,
        min(
            case
                when
                    remaining_points > 0
                    and expiry_date <= {{ crm_customer_add_days(expiring_days, crm_as_of_date()) }}
                    then expiry_date
            end
        ) as next_expiry_date,
        sum(case when expiry_date is null then remaining_points else 0 end) as never_expiring_points
    from live_lots
    group by customer_id
),

final as (
    select
        balances.customer_id,
        cast(balances.earned_points as {{ dbt.type_bigint() }}) as earned_points,
        cast(balances.redeemed_points as {{ dbt.type_bigint() }}) as redeemed_points,
        cast(balances.deducted_points as {{ dbt.type_bigint() }}) as deducted_points,
        cast(balances.ledger_expired_points as {{ dbt.type_bigint() }}) as ledger_expired_points,
        cast(balances.fifo_expired_points as {{ dbt.type_bigint() }}) as fifo_expired_points,
        cast(balances.expired_points as {{ dbt.type_bigint() }}) as expired_points,
        cast(
            balances.earned_points - balances.redeemed_points - balances.deducted_points - balances.expired_points
            as {{ dbt.type_bigint() }}
        ) as points_balance,
        cast(coalesce(expiring.expiring_points, 0) as {{ dbt.type_bigint() }}) as expiring_points,
        expiring.next_expiry_date,
        cast(coalesce(expiring.never_expiring_points, 0) as {{ dbt.type_bigint() }}) as never_expiring_points,
        cast(balances.redemptions_count as {{ dbt.type_bigint() }}) as redemptions_count,
        cast(balances.large_redemptions_count as {{ dbt.type_bigint() }}) as large_redemptions_count,
        cast(balances.largest_redemption_points as {{ dbt.type_bigint() }}) as largest_redemption_points,
        balances.last_large_redemption_at,
        balances.first_movement_at,
        balances.last_movement_at
    from balances
    left join expiring
        on balances.customer_id = expiring.customer_id
)

select * from final
