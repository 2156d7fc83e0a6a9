{#- lifecycle_transitions finds moves from occasions; this recomputes them from
    customer_lifecycle_history's intervals (a move is the first day of an interval
    whose stage differs from the customer's previous interval; a first purchase
    comes from prospect) and fails on every (grain, period, move) where the two
    disagree. -#}

with

history as (
    select * from {{ ref('customer_lifecycle_history') }}
),

transitions as (
    select * from {{ ref('lifecycle_transitions') }}
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

{% for grain in ['week', 'month'] -%}
{{ grain }}_counts as (
    select
        '{{ grain }}' as grain,
        cast({{ dbt.date_trunc(grain, 'transition_date') }} as date) as period_start,
        from_stage,
        to_stage,
        count(distinct customer_id) as customers,
        count(*) as transitions
    from moves
    group by
        cast({{ dbt.date_trunc(grain, 'transition_date') }} as date),
        from_stage,
        to_stage
),

{% endfor -%}
expected as (
    select * from week_counts
    union all
    select * from month_counts
),

compared as (
    select
        expected.customers as expected_customers,
        transitions.customers,
        expected.transitions as expected_transitions,
        transitions.transitions,
        coalesce(expected.grain, transitions.grain) as grain,
        coalesce(expected.period_start, transitions.period_start) as period_start,
        coalesce(expected.from_stage, transitions.from_stage) as from_stage,
        coalesce(expected.to_stage, transitions.to_stage) as to_stage
    from expected
    full outer join transitions
        on
            expected.grain = transitions.grain
            and expected.period_start = transitions.period_start
            and expected.from_stage = transitions.from_stage
            and expected.to_stage = transitions.to_stage
)

select * from compared
where
    expected_customers is null
    or customers is null
    or expected_customers != customers
    or expected_transitions != transitions
