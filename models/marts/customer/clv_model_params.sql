{#- One row per fitted parameter of the CLV models: BG/NBD and MBG/NBD (r, alpha, a,
    b), Pareto/NBD (r, alpha, s, beta) and Gamma-Gamma (p, q, v) over the full window
    up to as_of_date, and the purchase models over the calibration window of the
    holdout check, with each fit's log-likelihood, the model's holdout score and
    whether customer_clv uses it, and why (int_clv_model_choice). -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

fitted as (
    select * from {{ ref('int_clv_models_fitted') }}
),

choice as (
    select * from {{ ref('int_clv_model_choice') }}
),

final as (
    select
        fitted.model,
        fitted.parameter,
        fitted.value,
        cast(fitted.log_likelihood as double) as log_likelihood,
        cast(fitted.customers as {{ dbt.type_bigint() }}) as customers,
        {{ crm_as_of_date() }} as as_of_date,
        fitted.fit_window,
        case
            when fitted.fit_window = 'calibration' then {{ crm_clv_calibration_end() }}
            else {{ crm_as_of_date() }}
        end as fit_end_date,
        fitted.time_unit,
        cast(fitted.time_unit_days as double) as time_unit_days,
        cast(fitted.fitted_rows as {{ dbt.type_bigint() }}) as fitted_rows,
        fitted.converged,
        coalesce(choice.is_chosen, fitted.model = 'gamma_gamma') as is_chosen,
        coalesce(
            choice.choice_reason, 'spend model: used with the chosen purchase model'
        ) as choice_reason,
        choice.holdout_score
    from fitted
    left join choice
        on fitted.model = choice.model
)

select * from final
