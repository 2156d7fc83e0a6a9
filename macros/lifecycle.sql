{#-
    Lifecycle stages from days since the last purchase (docs/definitions.md#lifecycle),
    with the boundaries of var lifecycle_boundaries (default [7, 45, 90, 180, 365]).
    The one definition of the stage list: crm_lifecycle_stage_names (names, in order)
    with the var (boundaries). Everything else reads it from here: SQL through these
    macros, YAML tests through the generic test accepted_lifecycle_stages, and tools
    outside dbt (GE suite, pytest) through the model int_lifecycle_stages_listed.
-#}

{% macro crm_lifecycle_stage_names() %}
    {{ return(['after_sale', 'active', 'silent', 'sleeping', 'pre_churn', 'lost']) }}
{% endmacro %}


{% macro crm_lifecycle_stage_values(include_prospect=false, as_segment=false) %}
    {#- The values a stage column may hold: the stage names, or with as_segment the
        lifecycle segments (new_<stage> and returning_<stage>, crm_lifecycle_segment),
        plus 'prospect' with include_prospect. -#}
    {%- set values = [] -%}
    {%- for prefix in (['new_', 'returning_'] if as_segment else ['']) -%}
        {%- for name in crm_lifecycle_stage_names() -%}
            {%- do values.append(prefix ~ name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if include_prospect -%}
        {%- do values.insert(0, 'prospect') -%}
    {%- endif -%}
    {{ return(values) }}
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
