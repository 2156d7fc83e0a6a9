{#- The classic check of BG/NBD (Fader, Hardie & Lee 2005, figure 4): the model is
    refitted on the calibration window (purchases up to the calibration end), and for
    the customers of that window, grouped by their calibration repeat purchases
    (0, 1, ..., 6, 7+), the purchase occasions it expects in the holdout period
    (calibration end, as_of_date] are compared with the actual ones. -#}
{{ config(enabled=crm_clv_is_supported()) }}
{%- set top_bucket = 7 %}

with

summary as (
    select * from {{ ref('int_customers_clv_summarized') }}
),

scored as (
    select * from {{ ref('int_clv_customers_scored') }}
),

buckets as (
    {%- for bucket in range(top_bucket + 1) %}
    {%- set label = bucket ~ ('+' if bucket == top_bucket else '') %}
    select
        {{ bucket }} as calibration_repeat_purchases,
        '{{ label }}' as calibration_repeat_purchases_label
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

calibration_customers as (
    select
        summary.customer_id,
        least(summary.calibration_repeat_occasions, {{ top_bucket }}) as calibration_repeat_purchases,
        summary.holdout_occasions,
        scored.holdout_expected_purchases
    from summary
    inner join scored
        on summary.customer_id = scored.customer_id
    where summary.is_in_calibration
),

bucketed as (
    select
        calibration_repeat_purchases,
        count(*) as customers,
        sum(holdout_occasions) as actual_purchases,
        sum(holdout_expected_purchases) as predicted_purchases
    from calibration_customers
    group by calibration_repeat_purchases
),

windows as (
    select
        {{ crm_clv_calibration_end() }} as calibration_end_date,
        {{ crm_as_of_date() }} as holdout_end_date
),

final as (
    select
        cast(
            buckets.calibration_repeat_purchases as {{ dbt.type_int() }}
        ) as calibration_repeat_purchases,
        buckets.calibration_repeat_purchases_label,
        cast(coalesce(bucketed.customers, 0) as {{ dbt.type_bigint() }}) as customers,
        cast(coalesce(bucketed.actual_purchases, 0) as {{ dbt.type_bigint() }}) as actual_purchases,
        cast(coalesce(bucketed.predicted_purchases, 0) as double) as predicted_purchases,
        cast(bucketed.actual_purchases as double) / nullif(bucketed.customers, 0) as avg_actual_purchases,
        cast(bucketed.predicted_purchases as double) / nullif(bucketed.customers, 0) as avg_predicted_purchases,
        windows.calibration_end_date,
        windows.holdout_end_date,
        cast(
            {{ dbt.datediff('windows.calibration_end_date', 'windows.holdout_end_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as holdout_days
    from buckets
    cross join windows
    left join bucketed
        on buckets.calibration_repeat_purchases = bucketed.calibration_repeat_purchases
)

select * from final
