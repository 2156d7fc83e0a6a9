{#- VIP event shift rules (docs/definitions.md#vip-event-shift): spend bands from var
    vip_shift_spend_bands and the purchase-interval comparison with var
    vip_shift_interval_tolerance. -#}

{% macro crm_vip_spend_band_cuts() %}
    {#- The cut points of var vip_shift_spend_bands: ascending positive numbers. -#}
    {%- set value = var('vip_shift_spend_bands') -%}
    {%- if value is string -%}
        {%- set value = fromyaml(value) -%}
    {%- endif -%}
    {%- if value is string or value is mapping or value is not iterable or (value | length) == 0 -%}
        {{ exceptions.raise_compiler_error("var vip_shift_spend_bands must be a list of ascending amounts, got " ~ value) }}
    {%- endif -%}
    {%- for item in value -%}
        {%- if item is not number or item <= 0 or (not loop.first and item <= value[loop.index0 - 1]) -%}
            {{ exceptions.raise_compiler_error(
                "var vip_shift_spend_bands must be a list of ascending amounts above 0, got " ~ value
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(value | list) -}}
{% endmacro %}


{% macro crm_vip_spend_band_label(index) %}
    {#- The name of spend band `index` (0 = no spend, 1 = under the first cut, ...,
        n + 1 = the last cut and over), e.g. none, under_200, 200_to_500, 1000_plus. -#}
    {%- set cuts = crm_vip_spend_band_cuts() -%}
    {%- set fmt = [] -%}
    {%- for cut in cuts -%}
        {%- do fmt.append((cut | int) if cut == (cut | int) else cut) -%}
    {%- endfor -%}
    {%- if index == 0 -%}
        {{- return('none') -}}
    {%- elif index == 1 -%}
        {{- return('under_' ~ fmt[0]) -}}
    {%- elif index == (cuts | length) + 1 -%}
        {{- return(fmt[-1] ~ '_plus') -}}
    {%- else -%}
        {{- return(fmt[index - 2] ~ '_to_' ~ fmt[index - 1]) -}}
    {%- endif -%}
{% endmacro %}


{% macro crm_vip_spend_band_index(spend_sql) %}
    {#- SQL: the spend band (an integer) of a window spend: 0 when nothing was spent,
        else 1 + the number of cut points <= spend. -#}
    {%- set cuts = crm_vip_spend_band_cuts() -%}
    case
        when {{ spend_sql }} <= 0 then 0
        {%- for cut in cuts | reverse %}
        when {{ spend_sql }} >= {{ cut }} then {{ (cuts | length) - loop.index0 + 1 }}
        {%- endfor %}
        else 1
    end
{%- endmacro %}


{% macro crm_vip_spend_band(band_index_sql) %}
    {#- SQL: the band name of a band index (crm_vip_spend_band_index). -#}
    {%- set cuts = crm_vip_spend_band_cuts() -%}
    case {{ band_index_sql }}
        {%- for index in range((cuts | length) + 2) %}
        when {{ index }} then '{{ crm_vip_spend_band_label(index) }}'
        {%- endfor %}
    end
{%- endmacro %}


{% macro crm_vip_interval_shift(occasions_before_sql, occasions_after_sql) %}
    {#- SQL: how the purchase interval changed between two windows of equal length
        (interval = window days / occasions in it): no_purchase (none in either),
        shortened (after < before x (1 - tolerance); also from no purchase to one),
        lengthened (after > before x (1 + tolerance); also from a purchase to none),
        otherwise same (the edges count as same). With equal windows the interval ratio
        is occasions_before / occasions_after, compared in exact decimals. -#}
    {%- set tolerance = var('vip_shift_interval_tolerance') -%}
    {%- if tolerance is not number or tolerance < 0 or tolerance >= 1 -%}
        {{ exceptions.raise_compiler_error("var vip_shift_interval_tolerance must be a number in [0, 1), got " ~ tolerance) }}
    {%- endif -%}
    case
        when {{ occasions_before_sql }} = 0 and {{ occasions_after_sql }} = 0 then 'no_purchase'
        when {{ occasions_before_sql }} = 0 then 'shortened'
        when {{ occasions_after_sql }} = 0 then 'lengthened'
        when {{ occasions_before_sql }} < {{ occasions_after_sql }} * (1 - {{ tolerance }}) then 'shortened'
        when {{ occasions_before_sql }} > {{ occasions_after_sql }} * (1 + {{ tolerance }}) then 'lengthened'
        else 'same'
    end
{%- endmacro %}
