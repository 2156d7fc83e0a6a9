{#-
    Raw file inputs on Spark: the spark__ variants of the dispatched file macros
    of macros/raw_inputs.sql (docs in _spark__macros.yml).

    DuckDB reads a file inside any query (read_csv / read_parquet). Spark cannot
    put a temporary view under a persistent view (row_accounting is a view), so
    a file input is registered as an external (unmanaged) table in schema `raw`
    named crm_file_<md5 of format and path>, re-created on every run so a
    changed file or glob is picked up; dropping it never deletes the file.
      CSV      header row, every column text, '' = null, RFC 4180 quotes (or the
               dialect of var raw_<input>_csv), as
               DuckDB's read_csv(all_varchar); .tsv is tab-separated; .csv.gz is
               decompressed. A glob reads its files by position with the first
               file's header: all files need the same columns in the same order
               (DuckDB matches them by name).
      Parquet  typed columns, files of a glob merged by column name
               (mergeSchema), as DuckDB's union_by_name.
-#}

{% macro crm_spark_string_literal(value) %}
    {#- A Spark SQL string literal: backslash escapes, since Spark concatenates 'a''b' to 'ab'. -#}
    {{- return("'" ~ ((value | string) | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}


{% macro crm_spark_file_relation(path, file_format) %}
    {{- return('raw.' ~ crm_file_identifier(path, file_format)) -}}
{% endmacro %}


{% macro crm_spark_var_for_path(path) %}
    {#- The raw_<input> var that holds path, for error messages. -#}
    {% for input_name in crm_raw_contract().keys() %}
        {% set value = var('raw_' ~ input_name, none) %}
        {% if value is not none and (value | string | trim) == path %}
            {{ return('raw_' ~ input_name) }}
        {% endif %}
    {% endfor %}
    {{ return('raw input') }}
{% endmacro %}


{% macro spark__crm_assert_file_exists(var_name, path) %}
    {#- Spark raises PATH_NOT_FOUND when neither a file nor a glob match matches: listing only, no data read. -#}
    {% do try_or_compiler_error(
        var_name ~ ": no file matches '" ~ path ~ "'.",
        run_query,
        'describe query select * from text.`' ~ (path | replace('`', '``')) ~ '`'
    ) %}
{% endmacro %}


{% macro spark__crm_read_file(path, file_format, dialect={}) %}
    {%- set relation = crm_spark_file_relation(path, file_format) -%}
    {%- if execute -%}
        {%- do spark__crm_assert_file_exists(crm_spark_var_for_path(path), path) -%}
        {%- if file_format == 'parquet' -%}
            {%- set options = {'path': path, 'mergeSchema': 'true'} -%}
        {%- else -%}
            {%- set options = {
                'path': path, 'inferSchema': 'false', 'enforceSchema': 'false',
                'multiLine': 'true', 'quote': dialect.get('quote', '"'), 'escape': dialect.get('escape', '"'),
                'nullValue': '',
                'encoding': {'latin-1': 'ISO-8859-1', 'utf-16': 'UTF-16'}.get(dialect.get('encoding'), 'UTF-8'),
                'sep': dialect.get('delim', '\t' if (path | lower).endswith('.tsv') else ','),
                'header': 'true' if dialect.get('header', true) else 'false',
            } -%}
        {%- endif -%}
        {%- set option_list = [] -%}
        {%- for key, value in options.items() -%}
            {%- do option_list.append(key ~ ' ' ~ crm_spark_string_literal(value)) -%}
        {%- endfor -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ ' using ' ~ ('parquet' if file_format == 'parquet' else 'csv')
            ~ ' options (' ~ option_list | join(', ') ~ ')'
        ) -%}
    {%- endif -%}
    {{- return(relation) -}}
{% endmacro %}


{% macro spark__crm_file_columns(path, file_format, dialect={}) %}
    {#- Name and Spark type of each column of the registered file table. -#}
    {% set described = run_query('describe ' ~ crm_spark_file_relation(path, file_format)) %}
    {% set columns = [] %}
    {% for row in described.rows %}
        {% if row[0] and not (row[0] | string).startswith('#') %}
            {% do columns.append({'name': row[0], 'type': row[1]}) %}
        {% endif %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}
