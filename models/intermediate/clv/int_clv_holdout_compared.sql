{#- The holdout check of every purchase model (Fader, Hardie & Lee 2005, figure 4):
    each model refitted on the calibration window; for the customers of that window,
    grouped by their calibration repeat purchases (0, 1, ..., 6, 7+), the purchase
    occasions it expects in the holdout period (calibration end, as_of_date] against
    the actual ones. One row per model and group, groups without customers included.
    Read by int_clv_model_choice (the score) and clv_holdout_validation (the mart). -#}
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

models as (
    select distinct model from scored
),

calibration_customers as (
    select
        scored.model,
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
        model,
        calibration_repeat_purchases,
        count(*) as customers,
        sum(holdout_occasions) as actual_purchases,
        sum(holdout_expected_purchases) as predicted_purchases
    from calibration_customers
    group by model, calibration_repeat_purchases
),

final as (
    select
        models.model,
        cast(
            buckets.calibration_repeat_purchases as {{ dbt.type_int() }}
        ) as calibration_repeat_purchases,
        buckets.calibration_repeat_purchases_label,
        cast(coalesce(bucketed.customers, 0) as {{ dbt.type_bigint() }}) as customers,
        cast(coalesce(bucketed.actual_purchases, 0) as {{ dbt.type_bigint() }}) as actual_purchases,
        cast(coalesce(bucketed.predicted_purchases, 0) as double) as predicted_purchases
    from models
    cross join buckets
    left join bucketed
        on
            models.model = bucketed.model
            and buckets.calibration_repeat_purchases = bucketed.calibration_repeat_purchases
)

select * from final
