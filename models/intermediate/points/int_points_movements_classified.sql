{#- The points ledger (stg_crm__points) up to as_of_date, one row per ledger line
    dated on or before it, classified by sign and reason (docs/definitions.md#loyalty-points):
      earn    points_delta > 0, whatever the reason: a lot of points, consumed
              first-expiring-first and expiring at expires_at (null = never)
      expire  points_delta < 0 with reason 'expire': an expiry the ledger wrote itself
      redeem  points_delta < 0 with reason 'redeem'
      deduct  any other negative line (adjustments, reversals)
    Lines of 0 points change nothing and are left out. points is the absolute
    amount. Earning lots carry their place in the consumption order (expiry date,
    never-expiring last, then earning time) and the running total of the lots up
    to and including them (cumulative_lot_points); an expiry written before the
    earning is read as an expiry at the earning time. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

ledger as (
    select * from {{ ref('stg_crm__points') }}
),

dated as (
    select
        points_delta,
        occurred_at,
        member_id as customer_id,
        coalesce(reason, '') as reason,
        case
            when points_delta > 0 and expires_at < occurred_at then occurred_at
            when points_delta > 0 then expires_at
        end as expires_at
    from ledger
    where
        cast(occurred_at as date) <= {{ crm_as_of_date() }}
        and points_delta <> 0
),

classified as (
    select
        customer_id,
        points_delta,
        reason,
        occurred_at,
        expires_at,
        cast(expires_at as date) as expiry_date,
        case
            when points_delta > 0 then 'earn'
            when reason = 'expire' then 'expire'
            when reason = 'redeem' then 'redeem'
            else 'deduct'
        end as movement_type,
        abs(points_delta) as points
    from dated
),

final as (
    select
        customer_id,
        movement_type,
        reason,
        occurred_at,
        expires_at,
        expiry_date,
        cast(points_delta as {{ dbt.type_bigint() }}) as points_delta,
        cast(points as {{ dbt.type_bigint() }}) as points,
        case
            when movement_type = 'earn'
                then cast(sum(points) over (
                    partition by customer_id, movement_type
                    order by
                        case when expires_at is null then 1 else 0 end,
                        expires_at,
                        occurred_at,
                        points,
                        reason
                    rows between unbounded preceding and current row
                ) as {{ dbt.type_bigint() }})
        end as cumulative_lot_points
    from classified
)

select * from final
