{#- One row per customer x week (Monday to Sunday) with a purchase occasion up to
    as_of_date: the week's occasions, orders and money, the customer's state at the
    week's start (the day before its Monday: customer_type and recency from the
    occasions before the week) and whether the customer is a 45-day repeat buyer of
    the week: two or more occasions in [e - N + 1, e], e = the week's last day or
    as_of_date if earlier, N = var repurchase_window_days (docs/definitions.md#weekly-monitors).
    Read by kpi_weekly (all buyers) and kpi_lifecycle_weekly (split by type and
    recency band at the week's start). A table: three marts read it (kpi_weekly,
    kpi_lifecycle_weekly, crm_program_weekly). -#}
{{ config(materialized='table') }}

{%- set window_days = var('repurchase_window_days') | int -%}
{%- if window_days < 1 -%}
    {{ exceptions.raise_compiler_error("var repurchase_window_days must be >= 1, got " ~ window_days) }}
{%- endif -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

{# previous_purchase_date grows with occasion_number, so within a customer-week the
    smallest one belongs to the week's first occasion (the latest before the week)
    and the largest to its last occasion (the one before the week's last). #}
weekly as (
    select
        customer_id,
        {{ crm_period_start('week', 'purchase_date') }} as week_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as occasions_count,
        cast(sum(orders_count) as {{ dbt.type_bigint() }}) as orders_count,
        cast(sum(net_amount) as decimal(18, 2)) as revenue,
        min(occasion_number) as first_occasion_number,
        max(purchase_date) as last_purchase_date,
        min(previous_purchase_date) as first_previous_purchase_date,
        max(previous_purchase_date) as last_previous_purchase_date
    from occasions
    where purchase_date <= {{ crm_as_of_date() }}
    group by
        customer_id,
        {{ crm_period_start('week', 'purchase_date') }}
),

dated as (
    select
        *,
        {{ crm_customer_add_days(6, 'week_start') }} as week_end,
        case
            when {{ crm_customer_add_days(6, 'week_start') }} <= {{ crm_as_of_date() }}
                then {{ crm_customer_add_days(6, 'week_start') }}
            else {{ crm_as_of_date() }}
        end as window_end_date,
        {{ crm_customer_add_days(-1, 'week_start') }} as week_eve,
        case when first_occasion_number > 1 then first_previous_purchase_date end as previous_purchase_date
    from weekly
),

windowed as (
    select
        *,
        {{ crm_customer_add_days(-(window_days - 1), 'window_end_date') }} as window_start_date
    from dated
),

final as (
    select
        customer_id,
        week_start,
        week_end,
        window_end_date,
        occasions_count,
        orders_count,
        revenue,
        previous_purchase_date,
        {{ crm_customer_type('first_occasion_number - 1') }} as customer_type_at_start,
        cast(
            {{ dbt.datediff('previous_purchase_date', 'week_eve', 'day') }}
            as {{ dbt.type_int() }}
        ) as recency_days_at_start,
        coalesce(
            last_purchase_date >= window_start_date and last_previous_purchase_date >= window_start_date,
            false
        ) as is_repeat_buyer
    from windowed
)

select * from final
