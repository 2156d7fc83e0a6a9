{#-
    history_start_date (docs/definitions.md#build-dates): history before it is unknown, so a
    customer cannot be called new, retained or reactivated on history the data does
    not hold. The value (var history_start_date, else the first purchase date) is a
    column of int_build_context; this reads it from the build_context CTE the calling
    model imports (see crm_as_of_date), so it adds no ref and runs no query at compile time.
-#}
{% macro crm_history_start_date() %}
    {{- return('(select history_start_date from build_context)') -}}
{% endmacro %}
