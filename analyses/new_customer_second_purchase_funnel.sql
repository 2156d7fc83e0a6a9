{#- New-customer second-purchase funnel: of the customers who made their first
    purchase in a month, how many came back for a second purchase occasion, and
    for a third - at all up to as_of_date, and within 30, 90 and 180 days of the
    first purchase (the speed of the funnel)? One row per monthly cohort x step
    (first_purchase, second_purchase, third_purchase); every count is a subset of
    the step above it. share_of_first_buyers is the funnel curve,
    step_conversion_rate the pass rate from the step above, share_within_<N>d
    the share of the cohort's first buyers who reached the step within N days.
    Occasions are purchase days (several orders on one day are one occasion),
    from the orders mart. days_observed is the shortest time any cohort customer
    has had since the first purchase: a within-N column is final only when
    N <= days_observed (younger cohorts can still grow).
    Adapt: var funnel_window_days (default [30, 90, 180]) sets the windows,
    funnel_cohort_grain (week | month | quarter | year) the cohorts and
    funnel_steps (default 3) how many occasions deep the funnel goes, e.g.
      dbt compile --select new_customer_second_purchase_funnel
        --vars '{funnel_window_days: [14, 60], funnel_steps: 4}'
    To split by acquisition channel or first store, carry the first order's
    column through occasion_dates and add it to every group by. -#}
{%- set windows = var('funnel_window_days', [30, 90, 180]) -%}
{%- set grain = var('funnel_cohort_grain', 'month') -%}
{%- set step_count = var('funnel_steps', 3) | int -%}
{%- set step_names = {1: 'first_purchase', 2: 'second_purchase', 3: 'third_purchase'} -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

orders as (
    select * from {{ ref('orders') }}
),

occasion_dates as (
    select
        customer_id,
        {%- for step in range(1, step_count + 1) %}
        min(case when occasion_number = {{ step }} then purchase_date end) as occasion_{{ step }}_date,
        {%- endfor %}
        count(distinct purchase_date) as occasions_count
    from orders
    where is_purchase
    group by customer_id
),

cohorts as (
    select
        occasion_dates.*,
        cast({{ dbt.date_trunc(grain, 'occasion_1_date') }} as date) as cohort_start
    from occasion_dates
),

steps as (
    {%- for step in range(1, step_count + 1) %}
    select
        cohort_start,
        {{ step }} as step_order,
        '{{ step_names.get(step, "purchase_" ~ step) }}' as step,
        count(occasion_{{ step }}_date) as customers,
        {%- for window_days in windows %}
        sum(
            case
                when occasion_{{ step }}_date <= {{ dbt.dateadd('day', window_days, 'occasion_1_date') }} then 1
                else 0
            end
        ) as customers_within_{{ window_days }}d,
        {%- endfor %}
        max(occasion_1_date) as last_first_purchase_date
    from cohorts
    group by cohort_start
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

build as (
    select {{ crm_as_of_date() }} as as_of_date
),

funnel as (
    select
        steps.*,
        build.as_of_date,
        first_step.customers as first_buyers,
        previous_step.customers as previous_step_customers,
        cast(
            {{ dbt.datediff('steps.last_first_purchase_date', 'build.as_of_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_observed
    from steps
    cross join build
    inner join steps as first_step
        on
            steps.cohort_start = first_step.cohort_start
            and first_step.step_order = 1
    left join steps as previous_step
        on
            steps.cohort_start = previous_step.cohort_start
            and steps.step_order = previous_step.step_order + 1
),

final as (
    select
        cohort_start,
        step_order,
        step,
        first_buyers,
        customers,
        cast(customers as double) / first_buyers as share_of_first_buyers,
        case
            when previous_step_customers > 0 then cast(customers as double) / previous_step_customers
        end as step_conversion_rate,
        {%- for window_days in windows %}
        customers_within_{{ window_days }}d,
        cast(customers_within_{{ window_days }}d as double) / first_buyers as share_within_{{ window_days }}d,
        {%- endfor %}
        days_observed,
        as_of_date
    from funnel
)

select * from final
order by cohort_start asc, step_order asc
