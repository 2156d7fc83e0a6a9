{#-
    dbt.safe_cast on Spark. dbt-spark's default is a plain cast, which raises
    CAST_INVALID_INPUT under ANSI mode (Spark 4's default) instead of returning
    null. This variant uses try_cast and parses text the way DuckDB's try_cast
    does, so a raw value is accepted or rejected identically on both engines
    (docs in _spark__macros.yml):
      date, timestamp  the text must start with a full year-month-day (Spark
                       alone would read '2024' or '2024-01' as January 1st); a
                       trailing UTC offset is dropped, keeping the wall-clock
                       time, as DuckDB does ('10:00+02:00' -> 10:00)
      integer types    a decimal or exponent text is rounded half away from zero
                       ('1.5' -> 2, '1e2' -> 100), as DuckDB does; Spark alone
                       returns null
      other types      plain try_cast (decimal and boolean parsing already agree)
-#}
{% macro spark__safe_cast(field, type) %}
    {%- set type_name = (type | string | lower | trim) -%}
    {%- set date_prefix = "^\\\\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}" -%}
    {%- if type_name == 'date' -%}
        case
            when {{ dbt.cast(field, dbt.type_string()) }} rlike '{{ date_prefix }}'
                then try_cast({{ field }} as date)
        end
    {%- elif type_name.startswith('timestamp') -%}
        case
            when {{ dbt.cast(field, dbt.type_string()) }} rlike '{{ date_prefix }}'
                then try_cast(
                    regexp_replace(
                        {{ dbt.cast(field, dbt.type_string()) }},
                        '([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]*)?)?)\\s*[+-][0-9]{2}(:?[0-9]{2})?\\s*$',
                        '$1'
                    ) as {{ type }}
                )
        end
    {%- elif type_name in ['int', 'integer', 'bigint', 'smallint', 'tinyint', 'long', 'short', 'byte'] -%}
        try_cast(round(try_cast({{ field }} as decimal(38, 9)), 0) as {{ type }})
    {%- else -%}
        try_cast({{ field }} as {{ type }})
    {%- endif -%}
{% endmacro %}
