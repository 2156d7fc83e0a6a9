{#-
    The build context (docs/definitions.md#build-dates): one row holding the dates every
    model measures against. Models that need as_of_date import it as a CTE named
    build_context and read it through crm_as_of_date() (macros/dates.sql), so the
    dependency is a ref written in the model, and nothing is asked of the warehouse
    while SQL is compiled.

    as_of_date: var as_of_date, else the latest purchase date, unless a few rows are
    dated far after the rest (stray dates, docs/decisions.md "Dates"): over the distinct
    purchase dates in date order, the first date more than var stray_gap_days days after
    the previous one, from which on the purchases are at most var stray_max_share of all
    purchases, starts the stray tail; the default is the last purchase date before it.
    The post-hook names the stray orders in a warning.

    clv_calibration_end_date: the last day of the CLV holdout check's calibration window,
    var clv_calibration_end, else as_of_date - 182 days (26 weeks). That it falls before
    as_of_date is checked where the holdout is built (int_customers_clv_summarized).
-#}
{{ config(
    materialized='table',
    post_hook="{{ crm_warn_stray_purchases(ref('stg_crm__orders')) }}"
) }}

{%- set as_of_var = var('as_of_date', none) -%}
{%- set has_as_of_var = as_of_var is not none and (as_of_var | string | trim) != '' -%}
{%- set history_var = var('history_start_date', none) -%}
{%- set has_history_var = history_var is not none and (history_var | string | trim) not in ('', 'none', 'null') -%}
{%- set calibration_var = var('clv_calibration_end', none) -%}
{%- set has_calibration_var = calibration_var is not none
    and (calibration_var | string | trim) not in ('', 'none', 'null') -%}
{#- Each date: the var when it is set (validated), else its rule over the data. -#}
{%- if has_as_of_var -%}
{%- set as_of_date_sql = crm_date_literal(crm_parse_iso_date(as_of_var, 'var as_of_date')) -%}
{%- set first_stray_date_sql = dbt.cast('null', 'date') -%}
{%- set as_of_date_source_sql = "'var'" -%}
{%- else -%}
{%- set as_of_date_sql = 'coalesce(last_date_before_stray, latest_purchase_date)' -%}
{%- set first_stray_date_sql = 'first_stray_date' -%}
{%- set as_of_date_source_sql =
    "case when first_stray_date is null then 'latest_purchase' else 'before_stray_dates' end" -%}
{%- endif -%}
{%- if has_history_var -%}
{%- set history_start_date_sql = crm_date_literal(crm_parse_iso_date(history_var, 'var history_start_date')) -%}
{%- else -%}
{%- set history_start_date_sql = 'first_purchase_date' -%}
{%- endif -%}
{%- if has_calibration_var -%}
{%- set calibration_end_sql = crm_date_literal(crm_parse_iso_date(calibration_var, 'var clv_calibration_end')) -%}
{%- else -%}
{%- set calibration_end_sql = crm_customer_add_days(-182, 'as_of_date') -%}
{%- endif %}

with

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

purchase_dates as (
    select
        purchase_date,
        count(*) as purchases
    from orders
    where is_purchase
    group by purchase_date
),

dates_ranked as (
    select
        purchase_date,
        lag(purchase_date) over (order by purchase_date) as previous_date,
        sum(purchases) over (
            order by purchase_date desc rows between unbounded preceding and current row
        ) as purchases_from_here,
        sum(purchases) over () as all_purchases
    from purchase_dates
),

stray_start as (
    select min(purchase_date) as first_stray_date
    from dates_ranked
    where
        previous_date is not null
        and {{ dbt.datediff('previous_date', 'purchase_date', 'day') }}
        > {{ var('stray_gap_days') | int }}
        and purchases_from_here <= {{ var('stray_max_share') | float }} * all_purchases
),

bounds as (
    select
        min(dates_ranked.purchase_date) as first_purchase_date,
        max(dates_ranked.purchase_date) as latest_purchase_date,
        max(stray_start.first_stray_date) as first_stray_date,
        max(
            case when dates_ranked.purchase_date = stray_start.first_stray_date then dates_ranked.previous_date end
        ) as last_date_before_stray
    from dates_ranked
    cross join stray_start
),

dated as (
    select
        {{ as_of_date_sql }} as as_of_date,
        {{ crm_build_date() }} as build_date,
        {{ history_start_date_sql }} as history_start_date,
        first_purchase_date,
        latest_purchase_date,
        {{ first_stray_date_sql }} as first_stray_date,
        {{ as_of_date_source_sql }} as as_of_date_source
    from bounds
),

final as (
    select
        as_of_date,
        build_date,
        history_start_date,
        first_purchase_date,
        latest_purchase_date,
        first_stray_date,
        as_of_date_source,
        {{ calibration_end_sql }} as clv_calibration_end_date
    from dated
)

select * from final
