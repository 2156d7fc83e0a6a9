{#-
    Helpers of the predicted-CLV models (BG/NBD + Gamma-Gamma, issue 8).
-#}

{% macro crm_clv_calibration_end() %}
    {#-
        SQL: the last day of the calibration window of the CLV holdout check, a scalar
        read of the build context (int_build_context.clv_calibration_end_date: var
        clv_calibration_end, default as_of_date - 182 days). The calling model imports
        build_context, as for crm_as_of_date().
    -#}
    {{- return('(select clv_calibration_end_date from build_context)') -}}
{% endmacro %}


{% macro crm_clv_check_calibration_end() %}
    {#-
        Post-hook of int_customers_clv_summarized (run time): the calibration end must
        fall before as_of_date, or the holdout period (calibration end, as_of_date] is
        empty and the CLV models stop here with one clear line.
    -#}
    {% if not execute %}
        {{ return('select 1') }}
    {% endif %}
    {% set rows = run_query(
        'select ' ~ dbt.cast('min(calibration_end_date)', dbt.type_string()) ~ ', '
        ~ dbt.cast('min(as_of_date)', dbt.type_string()) ~ ' from ' ~ this
        ~ ' where calibration_end_date >= as_of_date'
    ).rows %}
    {% if rows | length > 0 and rows[0][0] is not none %}
        {{ exceptions.raise_compiler_error(
            "var clv_calibration_end = '" ~ (rows[0][0] | string)[:10] ~ "' must be before as_of_date ("
            ~ (rows[0][1] | string)[:10] ~ "): the holdout period (clv_calibration_end, as_of_date] would be empty."
        ) }}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}


{% macro crm_clv_is_supported() %}
    {#-
        True when the target can run the CLV fit: it is a dbt Python model written for
        dbt-duckdb (dbt-spark runs Python models only on managed platforms such as
        Databricks). Keep in step with the `enabled` configs in _clv__models.yml.
    -#}
    {{ return(target.type == 'duckdb') }}
{% endmacro %}


{% macro crm_clv_skip_notice() %}
    {#-
        On a target without the CLV fit, logs that the CLV models are skipped.
        Called by int_customers_clv_summarized, which builds everywhere: the line
        appears when that model (or one of its unit tests) compiles.
    -#}
    {% if execute and not crm_clv_is_supported() %}
        {{ log(
            "CLV models skipped on target type '" ~ target.type ~ "': the BG/NBD + Gamma-Gamma fit is a "
            ~ "dbt Python model, and dbt-" ~ target.type ~ " runs Python models only on managed platforms "
            ~ "(e.g. Databricks). int_customers_clv_summarized (the fit's input) is built; build the CLV marts "
            ~ "(customer_clv, clv_model_params, clv_holdout_validation, customer_value_flags) on DuckDB.",
            info=true
        ) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro crm_clv_purchase_models() %}
    {#- The purchase models fitted side by side, in the order that breaks ties (simplest first). -#}
    {{ return(['bg_nbd', 'mbg_nbd', 'pareto_nbd']) }}
{% endmacro %}


{% macro crm_clv_model() %}
    {#-
        var clv_model: auto (default: the purchase model with the lowest holdout score,
        int_clv_model_choice) or one of crm_clv_purchase_models(), lower-cased.
    -#}
    {% set value = (var('clv_model', 'auto') | string | trim | lower) %}
    {% set allowed = ['auto'] + crm_clv_purchase_models() %}
    {% if execute and value not in allowed %}
        {{ exceptions.raise_compiler_error(
            "var clv_model = '" ~ var('clv_model') ~ "' is not supported: use one of "
            ~ allowed | join(', ') ~ " (auto = the best model on the holdout check)."
        ) }}
    {% endif %}
    {{ return(value) }}
{% endmacro %}
