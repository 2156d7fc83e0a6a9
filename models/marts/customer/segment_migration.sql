{#- Month-over-month migration matrix (docs/definitions.md#customer-history): for each
    month and dimension (rfm_segment, lifecycle_stage, lifecycle_segment, value_tier,
    member_tier), how many customers moved from each value at the previous month's end
    to each value at this month's end (customer_monthly). Customers whose first
    purchase falls in the month come from 'not_yet_customer'. share_of_from is the row
    of the matrix: the from_value's customers that went to to_value. -#}
{{ config(materialized='table') }}
{%- set dimensions = ['rfm_segment', 'lifecycle_stage', 'lifecycle_segment', 'value_tier', 'member_tier'] %}

with

monthly as (
    select * from {{ ref('customer_monthly') }}
),

paired as (
    select
        month_start,
        rfm_segment,
        lifecycle_stage,
        lifecycle_segment,
        value_tier,
        member_tier,
        lag(rfm_segment) over (partition by customer_id order by month_start) as previous_rfm_segment,
        lag(lifecycle_stage) over (partition by customer_id order by month_start) as previous_lifecycle_stage,
        lag(lifecycle_segment) over (partition by customer_id order by month_start) as previous_lifecycle_segment,
        lag(value_tier) over (partition by customer_id order by month_start) as previous_value_tier,
        lag(member_tier) over (partition by customer_id order by month_start) as previous_member_tier,
        lag(month_start) over (partition by customer_id order by month_start) is null as is_first_month
    from monthly
),

combinations as (
    {#- Count each month's combinations of (previous, current) values first: far fewer
        rows than customers, so the unpivot below runs on counts. -#}
    select
        month_start,
        is_first_month,
        previous_rfm_segment,
        rfm_segment,
        previous_lifecycle_stage,
        lifecycle_stage,
        previous_lifecycle_segment,
        lifecycle_segment,
        previous_value_tier,
        value_tier,
        previous_member_tier,
        member_tier,
        count(*) as customers
    from paired
    group by
        month_start,
        is_first_month,
        previous_rfm_segment,
        rfm_segment,
        previous_lifecycle_stage,
        lifecycle_stage,
        previous_lifecycle_segment,
        lifecycle_segment,
        previous_value_tier,
        value_tier,
        previous_member_tier,
        member_tier
),

moves as (
    {%- for dimension in dimensions %}
    select
        month_start,
        '{{ dimension }}' as dimension,
        case
            when is_first_month then 'not_yet_customer'
            else previous_{{ dimension }}
        end as from_value,
        {{ dimension }} as to_value,
        customers
    from combinations
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

counted as (
    select
        month_start,
        dimension,
        from_value,
        to_value,
        sum(customers) as customers
    from moves
    group by month_start, dimension, from_value, to_value
),

final as (
    select
        month_start,
        dimension,
        from_value,
        to_value,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(
            sum(customers) over (partition by month_start, dimension, from_value) as {{ dbt.type_bigint() }}
        ) as from_customers,
        cast(customers as double)
        / sum(customers) over (partition by month_start, dimension, from_value) as share_of_from,
        from_value = to_value as is_same_value
    from counted
)

select * from final
