{#- Stage transitions per week (Monday start) and month, from the stage intervals:
    a transition happens on the valid_from of an interval whose stage differs from
    the customer's previous interval. A customer's first purchase is a move from
    prospect to after_sale even when the member's prospect spell is unknown
    (joined_at missing); joining as a prospect is not a transition. customers
    counts distinct customers, transitions counts moves (a customer can make the
    same move twice in a month). -#}

with

history as (
    select * from {{ ref('customer_lifecycle_history') }}
),

sequenced as (
    select
        customer_id,
        lifecycle_stage as to_stage,
        valid_from as transition_date,
        lag(lifecycle_stage) over (partition by customer_id order by valid_from) as previous_stage
    from history
),

moves as (
    select
        customer_id,
        transition_date,
        to_stage,
        coalesce(previous_stage, 'prospect') as from_stage
    from sequenced
    where
        to_stage != 'prospect'
        and (previous_stage is null or previous_stage != to_stage)
),

grains as (
    select
        customer_id,
        from_stage,
        to_stage,
        'week' as grain,
        cast({{ dbt.date_trunc('week', 'transition_date') }} as date) as period_start
    from moves
    union all
    select
        customer_id,
        from_stage,
        to_stage,
        'month' as grain,
        cast({{ dbt.date_trunc('month', 'transition_date') }} as date) as period_start
    from moves
),

final as (
    select
        grain,
        period_start,
        from_stage,
        to_stage,
        cast(count(distinct customer_id) as {{ dbt.type_bigint() }}) as customers,
        cast(count(*) as {{ dbt.type_bigint() }}) as transitions
    from grains
    group by grain, period_start, from_stage, to_stage
)

select * from final
