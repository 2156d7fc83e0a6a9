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


{#- A 64-bit hash of one or more values (nulls included), for bucketing rows
    before an exact comparison: DuckDB's hash(), Spark's xxhash64(). -#}
{% macro crm_hash_values(expressions) %}
    {{- return(adapter.dispatch('crm_hash_values', 'crm_warehouse')(expressions)) -}}
{% endmacro %}

{% macro default__crm_hash_values(expressions) %}
    {{- return('hash(' ~ expressions | join(', ') ~ ')') -}}
{% endmacro %}

{% macro spark__crm_hash_values(expressions) %}
    {{- return('xxhash64(' ~ expressions | join(', ') ~ ')') -}}
{% endmacro %}
