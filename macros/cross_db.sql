{#-
    Overrides of dbt's cross-database macros, found first through the project's
    dispatch search order (dbt_project.yml).
-#}

{#- dbt's default safe_cast is a plain cast, which errors on bad input. -#}
{% macro duckdb__safe_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{% endmacro %}
