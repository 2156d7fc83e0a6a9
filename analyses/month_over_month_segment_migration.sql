{#- Month-over-month segment migration: where did the customers of each lifecycle
    segment (customer_type x lifecycle_stage, e.g. returning_active) at the end of
    one month stand at the end of the next? One row per month x from_segment x
    to_segment with the customers who made that move; share_of_from_segment is the
    row of the migration matrix (each from_segment's shares add up to 1 within a
    month). Read from the mart segment_migration (customer_monthly, customers only:
    'not_yet_customer' = no purchase by the earlier month end). The month holding
    as_of_date ends on as_of_date.
    Adapt: var migration_months (default 6) sets how many recent months are shown;
    another dimension of segment_migration (rfm_segment, lifecycle_stage, value_tier,
    member_tier) instead of lifecycle_segment gives that matrix, e.g.
      dbt compile --select month_over_month_segment_migration --vars '{migration_months: 12}' -#}
{%- set months = var('migration_months', 6) | int -%}

with

migration as (
    select * from {{ ref('segment_migration') }}
),

recent_months as (
    select
        month_start,
        row_number() over (order by month_start desc) as months_back
    from (select distinct month_start from migration) as months
),

final as (
    select
        migration.month_start,
        migration.from_value as from_segment,
        migration.to_value as to_segment,
        migration.customers,
        migration.from_customers as from_segment_customers,
        migration.share_of_from as share_of_from_segment,
        migration.is_same_value as is_same_segment
    from migration
    inner join recent_months
        on migration.month_start = recent_months.month_start
    where
        migration.dimension = 'lifecycle_segment'
        and recent_months.months_back <= {{ months }}
)

select * from final
order by month_start asc, from_segment asc, to_segment asc
