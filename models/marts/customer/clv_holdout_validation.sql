{#- The classic check of the purchase models (Fader, Hardie & Lee 2005, figure 4),
    for every model: refitted on the calibration window (purchases up to the
    calibration end), for the customers of that window, grouped by their calibration
    repeat purchases (0, 1, ..., 6, 7+), the purchase occasions it expects in the
    holdout period (calibration end, as_of_date] against the actual ones; with each
    model's holdout score and whether customer_clv uses it (int_clv_model_choice). -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

compared as (
    select * from {{ ref('int_clv_holdout_compared') }}
),

choice as (
    select * from {{ ref('int_clv_model_choice') }}
),

windows as (
    select
        {{ crm_clv_calibration_end() }} as calibration_end_date,
        {{ crm_as_of_date() }} as holdout_end_date
),

final as (
    select
        compared.model,
        choice.is_chosen,
        choice.choice_reason,
        choice.holdout_score,
        compared.calibration_repeat_purchases,
        compared.calibration_repeat_purchases_label,
        compared.customers,
        compared.actual_purchases,
        compared.predicted_purchases,
        cast(compared.predicted_purchases - compared.actual_purchases as double) as purchases_error,
        cast(compared.actual_purchases as double) / nullif(compared.customers, 0) as avg_actual_purchases,
        compared.predicted_purchases / nullif(compared.customers, 0) as avg_predicted_purchases,
        windows.calibration_end_date,
        windows.holdout_end_date,
        cast(
            {{ dbt.datediff('windows.calibration_end_date', 'windows.holdout_end_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as holdout_days
    from compared
    inner join choice
        on compared.model = choice.model
    cross join windows
)

select * from final
