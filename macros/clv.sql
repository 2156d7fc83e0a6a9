{#-
    Helpers of the predicted-CLV models (BG/NBD + Gamma-Gamma, issue 8).
-#}

{% macro crm_clv_calibration_end_value() %}
    {#-
        The last day of the calibration period of the holdout check, as 'YYYY-MM-DD':
        var clv_calibration_end, or by default as_of_date - 182 days (26 weeks).
        It must fall before as_of_date, so the holdout period is never empty.
    -#}
    {% set as_of = crm_as_of_date_value() %}
    {% set value = var('clv_calibration_end', none) %}
    {% if value is not none and (value | string | trim) not in ('', 'none', 'null') %}
        {% set calibration_end = crm_parse_iso_date(value, 'var clv_calibration_end') %}
    {% else %}
        {% set as_of_parts = as_of.split('-') | map('int') | list %}
        {% set as_of_day = modules.datetime.date(as_of_parts[0], as_of_parts[1], as_of_parts[2]) %}
        {% set calibration_end = (as_of_day - modules.datetime.timedelta(days=182)).isoformat() %}
    {% endif %}
    {% if execute and calibration_end >= as_of %}
        {{ exceptions.raise_compiler_error(
            "var clv_calibration_end = '" ~ calibration_end ~ "' must be before as_of_date ("
            ~ as_of ~ "): the holdout period (clv_calibration_end, as_of_date] would be empty."
        ) }}
    {% endif %}
    {{ return(calibration_end) }}
{% endmacro %}


{% macro crm_clv_calibration_end() %}
    {#- SQL: the calibration end date (crm_clv_calibration_end_value) as a date literal. -#}
    {{- return(crm_date_literal(crm_clv_calibration_end_value())) -}}
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
