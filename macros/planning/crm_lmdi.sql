{#-
    LMDI (logarithmic mean Divisia index, additive form) for gap analysis
    (docs/definitions.md#gap-analysis). A total R = B x F x A changes from R0 to R1; the effect of
    factor X is L(R1, R0) x ln(X1 / X0), with the logarithmic mean
    L(x, y) = (x - y) / (ln x - ln y) and L(x, x) = x. The effects of all factors add
    up to R1 - R0 (floating point: to ~1e-9 of the totals).
-#}

{% macro crm_log_mean(x_sql, y_sql) %}
    {#- SQL (double): logarithmic mean of two positive numbers; null unless both > 0. -#}
    {{- return(adapter.dispatch('crm_log_mean', 'crm_warehouse')(x_sql, y_sql)) -}}
{% endmacro %}


{% macro default__crm_log_mean(x_sql, y_sql) %}
    case
        when ({{ x_sql }}) <= 0 or ({{ y_sql }}) <= 0 then null
        when ({{ x_sql }}) = ({{ y_sql }}) then cast({{ x_sql }} as double)
        else
            (cast({{ x_sql }} as double) - cast({{ y_sql }} as double))
            / ln(cast({{ x_sql }} as double) / cast({{ y_sql }} as double))
    end
{%- endmacro %}


{% macro crm_lmdi_effect(
    total_current, total_previous, factor_current, factor_previous, absorbs_appearance=false
) %}
    {#-
        SQL (double): the additive LMDI effect of one factor on the change of a total.
        When the total is zero in one of the two periods (a group that appears or
        vanishes), ln(0) is undefined: the factor with absorbs_appearance=true takes
        the whole change, every other factor 0. Both zero: 0.
    -#}
    {{- return(adapter.dispatch('crm_lmdi_effect', 'crm_warehouse')(
        total_current, total_previous, factor_current, factor_previous, absorbs_appearance
    )) -}}
{% endmacro %}


{% macro default__crm_lmdi_effect(
    total_current, total_previous, factor_current, factor_previous, absorbs_appearance
) %}
    case
        when ({{ total_current }}) > 0 and ({{ total_previous }}) > 0
            then {{ crm_log_mean(total_current, total_previous) | indent(12) }}
            * ln(cast({{ factor_current }} as double) / cast({{ factor_previous }} as double))
        {%- if absorbs_appearance %}
        else cast(({{ total_current }}) - ({{ total_previous }}) as double)
        {%- else %}
        else cast(0 as double)
        {%- endif %}
    end
{%- endmacro %}
