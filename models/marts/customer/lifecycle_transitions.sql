{#- Stage moves per week (Monday start) and month: the moves between the stage
    intervals of customer_lifecycle_history, found from the occasions themselves
    (no window over every interval). A purchase moves the customer into after_sale
    from the stage reached the day before (prospect for a first purchase; no move
    when that stage was after_sale, which includes the change from new to
    returning); while a purchase's reign lasts (to the day before the next
    purchase, or as_of_date) each later stage is entered on its first day from the
    stage before it. Joining as a prospect is not a move. customers counts
    distinct customers, transitions counts moves (a customer can make the same
    move twice in a month). tests/lifecycle_transitions_match_history.sql checks
    the moves against the history's intervals. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

stages as (
    {{ crm_lifecycle_stage_bounds() | indent(4) }}
),

stage_steps as (
    select
        stages.min_days,
        previous_stages.lifecycle_stage as from_stage,
        stages.lifecycle_stage as to_stage
    from stages
    inner join stages as previous_stages
        on stages.stage_index = previous_stages.stage_index + 1
),

reigns as (
    select
        customer_id,
        purchase_date,
        occasion_number,
        cast(
            {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_since_previous,
        {{ crm_reign_end_date('next_purchase_date') }} as reign_end_date
    from occasions
),

purchase_moves as (
    select
        customer_id,
        purchase_date as transition_date,
        case
            when occasion_number = 1 then 'prospect'
            else {{ crm_lifecycle_stage('days_since_previous - 1') }}
        end as from_stage,
        '{{ crm_lifecycle_stage_names()[0] }}' as to_stage
    from reigns
),

time_moves as (
    select
        reigns.customer_id,
        {{ crm_customer_add_days('stage_steps.min_days', 'reigns.purchase_date') }} as transition_date,
        stage_steps.from_stage,
        stage_steps.to_stage
    from reigns
    inner join stage_steps
        on {{ crm_customer_add_days('stage_steps.min_days', 'reigns.purchase_date') }} <= reigns.reign_end_date
),

moves as (
    select * from purchase_moves
    where from_stage != to_stage
    union all
    select * from time_moves
),

{#- customers counts distinct customers per move and period. A customer repeats
    a move only d + 1 days or more after making it, where d is the first day of
    the move's stage (the to_stage of a move in time, the from_stage of a
    purchase): the stage has to be reached again from a new purchase. Moves
    whose d + 1 exceeds the longest distance between two days of one period
    (6 for a week, 30 for a month) cannot repeat in it, so they are counted
    directly; only the others (with the default boundaries: in a month, moves
    into active and purchases made while active; in a week, none) are first
    counted per customer and period, which costs a group-by over every move. -#}
{%- set stage_names = crm_lifecycle_stage_names() %}
{%- set stage_first_days = [0] + crm_lifecycle_boundaries() %}
{%- for grain, spread in [('week', 6), ('month', 30)] %}
{%- set repeatable = [] %}
{%- for index in range(1, stage_names | length) if stage_first_days[index] + 1 <= spread %}
{%- do repeatable.append("'" ~ stage_names[index] ~ "'") %}
{%- endfor %}
{%- set is_repeatable = (
    "case when to_stage = '" ~ stage_names[0] ~ "' then from_stage else to_stage end in ("
    ~ repeatable | join(', ') ~ ")"
) %}
{%- set period_start = 'cast(' ~ dbt.date_trunc(grain, 'transition_date') ~ ' as date)' %}
{%- if repeatable %}
customer_{{ grain }}s as (
    select
        customer_id,
        from_stage,
        to_stage,
        {{ period_start }} as period_start,
        count(*) as transitions
    from moves
    where {{ is_repeatable }}
    group by
        customer_id,
        from_stage,
        to_stage,
        {{ period_start }}
),
{%- endif %}

{{ grain }}_counts as (
    {%- if repeatable %}
    select
        '{{ grain }}' as grain,
        period_start,
        from_stage,
        to_stage,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(sum(transitions) as {{ dbt.type_bigint() }}) as transitions
    from customer_{{ grain }}s
    group by period_start, from_stage, to_stage
    union all
    {%- endif %}
    select
        '{{ grain }}' as grain,
        {{ period_start }} as period_start,
        from_stage,
        to_stage,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(count(*) as {{ dbt.type_bigint() }}) as transitions
    from moves
    {%- if repeatable %}
    where not ({{ is_repeatable }})
    {%- endif %}
    group by {{ period_start }}, from_stage, to_stage
),

{% endfor %}
final as (
    select * from week_counts
    union all
    select * from month_counts
)

select * from final
