{#- Month-over-month segment migration: where did the customers of each lifecycle
    segment (customer_type x lifecycle_stage, e.g. returning_active) at the end of
    one month stand at the end of the next? One row per month x from_segment x
    to_segment with the customers who made that move; share_of_from_segment is the
    row of the migration matrix (each from_segment's shares add up to 1 within a
    month). Segments come from customer_lifecycle_history (point in time, no
    rebuild needed); 'not_yet_joined' = not yet a member or customer at the
    earlier month end. The month holding as_of_date ends on as_of_date.
    Adapt: var migration_months (default 6) sets how many recent months are shown;
    group by lifecycle_stage instead of lifecycle_segment for a coarser matrix, e.g.
      dbt compile --select month_over_month_segment_migration --vars '{migration_months: 12}' -#}
{%- set months = var('migration_months', 6) | int -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

history as (
    select * from {{ ref('customer_lifecycle_history') }}
),

months as (
    select * from {{ ref('kpi_monthly') }}
),

month_ends as (
    select
        month_start,
        case
            when month_end > {{ crm_as_of_date() }} then {{ crm_as_of_date() }}
            else month_end
        end as snapshot_date,
        {{ dbt.dateadd('day', -1, 'month_start') }} as previous_snapshot_date,
        row_number() over (order by month_start desc) as months_back
    from months
),

recent_months as (
    select
        month_start,
        cast(snapshot_date as date) as snapshot_date,
        cast(previous_snapshot_date as date) as previous_snapshot_date
    from month_ends
    where months_back <= {{ months }}
),

snapshots as (
    select
        month_start,
        'end' as snapshot_side,
        snapshot_date
    from recent_months
    union all
    select
        month_start,
        'start' as snapshot_side,
        previous_snapshot_date as snapshot_date
    from recent_months
),

segments as (
    select
        snapshots.month_start,
        snapshots.snapshot_side,
        history.customer_id,
        history.lifecycle_segment
    from snapshots
    inner join history
        on
            snapshots.snapshot_date >= history.valid_from
            and (history.valid_to is null or snapshots.snapshot_date <= history.valid_to)
),

moves as (
    select
        month_start,
        customer_id,
        max(case when snapshot_side = 'end' then lifecycle_segment end) as to_segment,
        coalesce(max(case when snapshot_side = 'start' then lifecycle_segment end), 'not_yet_joined') as from_segment
    from segments
    group by month_start, customer_id
),

counted as (
    select
        month_start,
        from_segment,
        to_segment,
        count(*) as customers
    from moves
    group by month_start, from_segment, to_segment
),

final as (
    select
        month_start,
        from_segment,
        to_segment,
        customers,
        sum(customers) over (partition by month_start, from_segment) as from_segment_customers,
        cast(customers as double)
        / sum(customers) over (partition by month_start, from_segment) as share_of_from_segment,
        from_segment = to_segment as is_same_segment
    from counted
)

select * from final
order by month_start asc, from_segment asc, to_segment asc
