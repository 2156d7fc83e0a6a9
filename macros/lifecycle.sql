{#-
    Lifecycle stages from days since the last purchase (docs/definitions.md#lifecycle),
    with the boundaries of var lifecycle_boundaries (default [7, 45, 90, 180, 365]).
-#}

{% macro crm_lifecycle_stage_names() %}
    {{ return(['after_sale', 'active', 'silent', 'sleeping', 'pre_churn', 'lost']) }}
{% endmacro %}


{% macro crm_lifecycle_boundaries() %}
    {% set boundaries = var('lifecycle_boundaries') %}
    {% if boundaries | length != crm_lifecycle_stage_names() | length - 1 %}
        {{ exceptions.raise_compiler_error(
            "var lifecycle_boundaries needs " ~ (crm_lifecycle_stage_names() | length - 1)
            ~ " ascending day counts, got " ~ boundaries
        ) }}
    {% endif %}
    {% for boundary in boundaries %}
        {% if not loop.first and boundary <= boundaries[loop.index0 - 1] %}
            {{ exceptions.raise_compiler_error("var lifecycle_boundaries must ascend, got " ~ boundaries) }}
        {% endif %}
    {% endfor %}
    {{ return(boundaries | map('int') | list) }}
{% endmacro %}


{% macro crm_lifecycle_stage(recency_days) %}
    {#- SQL: the stage of a customer whose last purchase was recency_days ago (>= 0). -#}
    {%- set names = crm_lifecycle_stage_names() -%}
    {%- set boundaries = crm_lifecycle_boundaries() -%}
    case
        {%- for boundary in boundaries %}
        when {{ recency_days }} < {{ boundary }} then '{{ names[loop.index0] }}'
        {%- endfor %}
        else '{{ names[-1] }}'
    end
{%- endmacro %}
