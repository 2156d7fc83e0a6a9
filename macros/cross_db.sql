{#-
    Overrides of dbt's cross-database macros, found first through the project's
    dispatch search order (dbt_project.yml).
-#}

{#- dbt's default safe_cast is a plain cast, which errors on bad input. -#}
{% macro duckdb__safe_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{% endmacro %}


{#- `as not materialized` for a CTE read by several branches: DuckDB otherwise
    may materialise it; Spark inlines CTEs and has no such keyword. -#}
{% macro crm_cte_not_materialized() %}
    {{- return(adapter.dispatch('crm_cte_not_materialized', 'crm_warehouse')()) -}}
{% endmacro %}

{% macro default__crm_cte_not_materialized() %}{{ return('') }}{% endmacro %}

{% macro duckdb__crm_cte_not_materialized() %}{{ return('not materialized') }}{% endmacro %}
