{#- One row per fitted parameter of the CLV models: BG/NBD (r, alpha, a, b) and
    Gamma-Gamma (p, q, v) over the full window up to as_of_date, and BG/NBD over the
    calibration window of the holdout check, with each fit's log-likelihood. -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

fitted as (
    select * from {{ ref('int_clv_models_fitted') }}
),

final as (
    select
        model,
        parameter,
        value,
        cast(log_likelihood as double) as log_likelihood,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        {{ crm_as_of_date() }} as as_of_date,
        fit_window,
        case
            when fit_window = 'calibration' then {{ crm_clv_calibration_end() }}
            else {{ crm_as_of_date() }}
        end as fit_end_date,
        time_unit,
        cast(time_unit_days as double) as time_unit_days,
        cast(fitted_rows as {{ dbt.type_bigint() }}) as fitted_rows,
        converged
    from fitted
)

select * from final
