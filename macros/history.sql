{#-
    history_start_date (docs/definitions.md#build-dates): history before it is unknown, so a
    customer cannot be called new, retained or reactivated on history the data does
    not hold. From var history_start_date (validated like as_of_date), else the
    first purchase date of `occasions_relation`, a relation the calling model already
    imports (a CTE name or a ref it holds): the macro adds no ref of its own and runs
    no query at compile time.
-#}
{% macro crm_history_start_date(occasions_relation=none, date_column='purchase_date') %}
    {%- if occasions_relation is none -%}
        {#- The build context's history_start_date (the caller imports build_context, see crm_as_of_date). -#}
        {{- return('(select history_start_date from build_context)') -}}
    {%- endif -%}
    {%- set value = var('history_start_date', none) -%}
    {%- if value is not none and (value | string | trim) not in ('', 'none', 'null') -%}
        {{- return(crm_date_literal(crm_parse_iso_date(value, 'var history_start_date'))) -}}
    {%- endif -%}
    {{- return('(select min(' ~ date_column ~ ') from ' ~ occasions_relation ~ ')') -}}
{% endmacro %}
