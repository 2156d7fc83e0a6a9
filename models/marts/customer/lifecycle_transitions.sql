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

{#- Moves are counted per customer and period first, then per period: two plain
    aggregates per grain are cheaper than count(distinct) over every move. -#}
{%- for grain in ['week', 'month'] %}
customer_{{ grain }}s as (
    select
        customer_id,
        from_stage,
        to_stage,
        cast({{ dbt.date_trunc(grain, 'transition_date') }} as date) as period_start,
        count(*) as transitions
    from moves
    group by
        customer_id,
        from_stage,
        to_stage,
        cast({{ dbt.date_trunc(grain, 'transition_date') }} as date)
),

{{ grain }}_counts as (
    select
        '{{ grain }}' as grain,
        period_start,
        from_stage,
        to_stage,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(sum(transitions) as {{ dbt.type_bigint() }}) as transitions
    from customer_{{ grain }}s
    group by period_start, from_stage, to_stage
),

{% endfor %}
final as (
    select * from week_counts
    union all
    select * from month_counts
)

select * from final
