{#- One row per purchase model (bg_nbd, mbg_nbd, pareto_nbd): its holdout errors and
    whether customer_clv uses it. holdout_score = sum over the calibration-purchase
    groups 0..6, 7+ of |predicted - actual| holdout purchases / all actual holdout
    purchases (lower is better; it counts a bias in the total and a wrong split
    across groups alike). var clv_model = auto (default) chooses the lowest score
    (ties: smaller total error, then higher full-window log-likelihood, then the
    simpler model in crm_clv_purchase_models() order); without a score (no actual
    holdout purchase) the highest full-window log-likelihood. Any other value of the
    var forces that model. -#}
{{ config(enabled=crm_clv_is_supported()) }}
{%- set clv_model = crm_clv_model() %}
{%- set purchase_models = crm_clv_purchase_models() %}

with

fitted as (
    select * from {{ ref('int_clv_models_fitted') }}
),

compared as (
    select * from {{ ref('int_clv_holdout_compared') }}
),

full_fits as (
    select
        model,
        max(log_likelihood) as full_log_likelihood
    from fitted
    where fit_window = 'full' and model <> 'gamma_gamma'  -- the spend model is not a candidate
    group by model
),

holdout as (
    select
        model,
        sum(customers) as holdout_customers,
        sum(actual_purchases) as holdout_actual_purchases,
        sum(predicted_purchases) as holdout_predicted_purchases,
        sum(abs(predicted_purchases - actual_purchases)) as holdout_group_abs_error
    from compared
    group by model
),

scored as (
    select
        full_fits.model,
        full_fits.full_log_likelihood,
        coalesce(holdout.holdout_customers, 0) as holdout_customers,
        coalesce(holdout.holdout_actual_purchases, 0) as holdout_actual_purchases,
        coalesce(holdout.holdout_predicted_purchases, 0) as holdout_predicted_purchases,
        (holdout.holdout_predicted_purchases - holdout.holdout_actual_purchases)
        / nullif(holdout.holdout_actual_purchases, 0) as holdout_total_error,
        holdout.holdout_group_abs_error / nullif(holdout.holdout_actual_purchases, 0) as holdout_score,
        case full_fits.model
            {%- for name in purchase_models %}
            when '{{ name }}' then {{ loop.index }}
            {%- endfor %}
        end as model_order
    from full_fits
    left join holdout
        on full_fits.model = holdout.model
),

ranked as (
    select
        *,
        row_number() over (
            order by
                case when holdout_score is null then 1 else 0 end asc,
                holdout_score asc,
                abs(holdout_total_error) asc,
                full_log_likelihood desc,
                model_order asc
        ) as holdout_rank,
        max(case when holdout_score is not null then 1 else 0 end) over () as has_holdout_score
    from scored
),

chosen as (
    select
        *,
        {%- if clv_model == 'auto' %}
        holdout_rank = 1 as is_chosen
        {%- else %}
        model = '{{ clv_model }}' as is_chosen
        {%- endif %}
    from ranked
),

final as (
    select
        model,
        is_chosen,
        case
            {%- if clv_model == 'auto' %}
            when is_chosen and has_holdout_score = 1
                then 'auto: lowest holdout score of the purchase models (var clv_model = auto)'
            when is_chosen
                then 'auto: no actual holdout purchase to score, highest full-window log-likelihood'
            when has_holdout_score = 1 then 'auto: not chosen, a higher holdout score than the chosen model'
            else 'auto: not chosen, a lower full-window log-likelihood than the chosen model'
            {%- else %}
            when is_chosen then 'set by var clv_model = {{ clv_model }}'
            else 'not chosen: var clv_model = {{ clv_model }}'
            {%- endif %}
        end as choice_reason,
        cast(holdout_rank as {{ dbt.type_int() }}) as holdout_rank,
        cast(holdout_score as double) as holdout_score,
        cast(holdout_total_error as double) as holdout_total_error,
        cast(holdout_customers as {{ dbt.type_bigint() }}) as holdout_customers,
        cast(holdout_actual_purchases as {{ dbt.type_bigint() }}) as holdout_actual_purchases,
        cast(holdout_predicted_purchases as double) as holdout_predicted_purchases,
        cast(full_log_likelihood as double) as full_log_likelihood
    from chosen
)

select * from final
