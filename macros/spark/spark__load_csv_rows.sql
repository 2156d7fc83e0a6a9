{#-
    Seed loader for the Spark session target (docs in _spark__macros.yml).

    dbt-spark's own loader sends the rows as `insert ... values` batches: about
    50 s for 40k rows, empty cells arrive as the text 'None' instead of null, and
    a value with a quote breaks the statement. With the session method the JVM
    reads the seed file itself, so this variant registers the CSV file as a
    temporary view (Spark's CSV reader: header, every column text, '' = null,
    RFC 4180 quotes) and fills the seed table with one `insert ... select` that
    casts each column to its seed type (column_types, else agate's inference),
    as DuckDB's COPY loader does. On a cluster (spark.master not local, e.g.
    the thrift target) dbt-spark's loader is kept: the executors cannot read a
    file on this machine.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- if not crm_spark_is_local() -%}
        {{ return(dbt.spark__load_csv_rows(model, agate_table)) }}
    {%- endif -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set delimiter = model['config'].get('delimiter', ',') or ',' -%}
    {%- set path = model['root_path'] ~ '/' ~ model['original_file_path'] -%}
    {%- set source_view = '__crm_seed_' ~ model['name'] -%}
    {% call statement('crm_seed_source') -%}
        create or replace temporary view {{ source_view }}
        using csv
        options (
            path {{ crm_spark_string_literal(path) }},
            header 'true',
            inferSchema 'false',
            enforceSchema 'false',
            multiLine 'true',
            quote '"',
            escape '"',
            sep {{ crm_spark_string_literal(delimiter) }},
            nullValue '',
            mode 'FAILFAST',
            encoding 'UTF-8'
        )
    {%- endcall %}
    {% set sql %}
        insert into {{ this.render() }}
        select
        {%- for column_name in agate_table.column_names %}
            {%- set column_type = crm_spark_type(column_override.get(column_name, adapter.convert_type(agate_table, loop.index0))) %}
            cast({{ adapter.quote(column_name) }} as {{ column_type }}){{ "," if not loop.last }}
        {%- endfor %}
        from {{ source_view }}
    {% endset %}
    {% do adapter.add_query(sql, abridge_sql_log=True) %}
    {% do adapter.add_query('drop view if exists ' ~ source_view) %}
    {{ return(sql) }}
{% endmacro %}


{% macro crm_spark_is_local() %}
    {#- True when Spark runs on this machine (spark.master local[...]), so it can read local files. -#}
    {% if not execute %}
        {{ return(false) }}
    {% endif %}
    {% set master = run_query('set spark.master').rows %}
    {{ return(master | length > 0 and (master[0][1] | string).startswith('local')) }}
{% endmacro %}


{% macro spark__create_csv_table(model, agate_table) %}
    {#-
        dbt-spark's seed table DDL, with each column_types entry translated by
        crm_spark_type (a seed yml written for DuckDB may say `varchar`, which
        Spark refuses without a length).
    -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {% set sql %}
        create table {{ this.render() }} (
            {%- for column_name in agate_table.column_names -%}
                {%- set column_type = crm_spark_type(column_override.get(column_name, adapter.convert_type(agate_table, loop.index0))) -%}
                {{ adapter.quote_seed_column(column_name | string, quote_seed_column) }} {{ column_type }}{{ ", " if not loop.last }}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {% endset %}
    {% call statement('_') -%}
        {{ sql }}
    {%- endcall %}
    {{ return(sql) }}
{% endmacro %}


{% macro crm_spark_type(data_type) %}
    {#- A DuckDB type name as Spark spells it: varchar / text without a length -> string, hugeint -> decimal(38, 0). -#}
    {%- set lowered = (data_type | string | lower | trim) -%}
    {%- set aliases = {
        'varchar': 'string', 'text': 'string', 'char': 'string', 'bpchar': 'string',
        'character varying': 'string', 'hugeint': 'decimal(38, 0)', 'timestamptz': 'timestamp',
        'timestamp with time zone': 'timestamp', 'double precision': 'double',
    } -%}
    {{- return(aliases.get(lowered, data_type)) -}}
{% endmacro %}
