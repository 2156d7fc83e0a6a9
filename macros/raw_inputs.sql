{#-
    Raw-input resolution (DESIGN.md section 3).

    Each input comes from its bundled seed `raw_<input>` by default, or from the
    var of the same name holding
      - a file path or glob ending in .csv / .csv.gz / .tsv / .parquet, or
      - a relation `schema.table`, or
      - `none`: the input is absent.
    When var raw_orders names the user's own data, every other input without a
    var of its own is absent (the demo seeds never mix with a user's data).

    crm_raw_input(input_name) returns a select with every contract column of the
    input, in contract order: string columns trimmed with '' as null, columns
    the input lacks as typed nulls (a missing *required* column stops the build
    with an error naming the input and the column). Extra columns are ignored.
-#}

{% macro crm_raw_source(input_name) %}
    {#- Returns {'kind': 'seed'|'file'|'relation'|'absent', 'value': ..., 'format': ...} -#}
    {% set var_name = 'raw_' ~ input_name %}
    {% set value = var(var_name, none) %}
    {% if value is not none %}
        {% set value = (value | string) | trim %}
    {% endif %}

    {% if value is none or value == '' %}
        {% if input_name != 'orders' and var('raw_orders', none) is not none %}
            {{ return({'kind': 'absent', 'value': none, 'format': none}) }}
        {% endif %}
        {{ return({'kind': 'seed', 'value': var_name, 'format': none}) }}
    {% endif %}

    {% if value | lower == 'none' %}
        {% if input_name == 'orders' %}
            {{ exceptions.raise_compiler_error("raw_orders: the orders input is required and cannot be 'none'.") }}
        {% endif %}
        {{ return({'kind': 'absent', 'value': none, 'format': none}) }}
    {% endif %}

    {% set lowered = value | lower %}
    {% if lowered.endswith('.parquet') %}
        {{ return({'kind': 'file', 'value': value, 'format': 'parquet'}) }}
    {% elif lowered.endswith('.csv') or lowered.endswith('.csv.gz') or lowered.endswith('.tsv') %}
        {{ return({'kind': 'file', 'value': value, 'format': 'csv'}) }}
    {% elif modules.re.match('^[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*$', value) %}
        {{ return({'kind': 'relation', 'value': value, 'format': none}) }}
    {% else %}
        {{ exceptions.raise_compiler_error(
            var_name ~ ": '" ~ value ~ "' is neither a file path ending in .csv, .csv.gz, .tsv or .parquet, "
            ~ "nor a relation written as schema.table, nor 'none'."
        ) }}
    {% endif %}
{% endmacro %}


{% macro crm_raw_input(input_name) %}
    {% set spec = crm_raw_input_spec(input_name) %}
    {% set source = crm_raw_source(input_name) %}
    {% set var_name = 'raw_' ~ input_name %}

    {#- The seed is referenced at parse time so dbt knows the dependency. -#}
    {% if source.kind == 'seed' %}
        {% set from_clause = ref(source.value) %}
    {% elif source.kind == 'relation' %}
        {% set parts = source.value.split('.') %}
        {% set from_clause = api.Relation.create(database=target.database, schema=parts[0], identifier=parts[1]) %}
    {% elif source.kind == 'file' %}
        {% set from_clause = crm_read_file(source.value, source.format) %}
    {% endif %}

    {#- Discover the input's columns at execution time: name -> data type. -#}
    {% set found = {} %}
    {% if execute and source.kind != 'absent' %}
        {% if source.kind == 'file' %}
            {{ crm_assert_file_exists(var_name, source.value) }}
            {% set columns = crm_file_columns(source.value, source.format) %}
        {% else %}
            {% if source.kind == 'relation' %}
                {% set existing = adapter.get_relation(database=from_clause.database, schema=from_clause.schema,
                                                       identifier=from_clause.identifier) %}
                {% if existing is none and target.type == 'duckdb' %}
                    {#- Not in the warehouse: the first read-only attached database that has it
                        (CRM_ATTACH, profile target duckdb_attach; docs/operations.md). -#}
                    {% set attached = run_query(
                        "select database_name from duckdb_databases() where readonly and not internal"
                        ~ " order by database_name"
                    ) %}
                    {% set lookup = namespace(found=none) %}
                    {% for database_name in attached.columns[0].values() %}
                        {% if lookup.found is none %}
                            {% set lookup.found = adapter.get_relation(
                                database=database_name, schema=from_clause.schema, identifier=from_clause.identifier
                            ) %}
                        {% endif %}
                    {% endfor %}
                    {% set existing = lookup.found %}
                {% endif %}
                {% if existing is none %}
                    {{ exceptions.raise_compiler_error(
                        var_name ~ ": relation '" ~ source.value ~ "' does not exist (neither in the warehouse nor"
                        ~ " in a database attached with CRM_ATTACH=/path/to/source.duckdb)."
                    ) }}
                {% endif %}
                {% set from_clause = existing %}
            {% endif %}
            {% set columns = [] %}
            {% for column in adapter.get_columns_in_relation(from_clause) %}
                {% do columns.append({'name': column.name, 'type': column.dtype}) %}
            {% endfor %}
        {% endif %}
        {% if source.kind == 'file' and columns | length == 1 and columns[0].name == 'column0' %}
            {{ exceptions.raise_compiler_error(
                var_name ~ ": '" ~ source.value ~ "' is empty or has no header line (expected the "
                ~ input_name ~ " columns in the first line)."
            ) }}
        {% endif %}
        {% for column in columns %}
            {% do found.update({column.name | lower: column}) %}
        {% endfor %}
        {% for column in spec.columns %}
            {% if column.required and column.name not in found %}
                {{ exceptions.raise_compiler_error(
                    var_name ~ ": required column '" ~ column.name ~ "' is missing from the " ~ input_name
                    ~ " input (found columns: " ~ (found.keys() | list | join(', ')) ~ ")."
                ) }}
            {% endif %}
        {% endfor %}
    {% endif %}

    select
        {%- for column in spec.columns %}
        {%- if source.kind == 'absent' or (execute and column.name not in found) %}
        {{ crm_typed_null(column.type) }} as {{ column.name }}
        {%- elif execute and not crm_is_text_type(found[column.name].type) %}
        {{ adapter.quote(found[column.name].name) }} as {{ column.name }}
        {%- else %}
        nullif(trim({{ adapter.quote(found[column.name].name if execute else column.name) }}), '') as {{ column.name }}
        {%- endif %}
        {{- "," if not loop.last }}
        {%- endfor %}
    {%- if source.kind != 'absent' %}
    from {{ from_clause }}
    {%- else %}
    where 1 = 0
    {%- endif %}
{% endmacro %}


{% macro crm_typed_null(column_type) %}
    {%- if column_type == 'text' -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        cast(null as {{ crm_sql_type(column_type) }})
    {%- endif -%}
{% endmacro %}


{% macro crm_sql_type(column_type) %}
    {%- set types = {
        'text': dbt.type_string(),
        'timestamp': dbt.type_timestamp(),
        'date': 'date',
        'money': 'decimal(18, 2)',
        'integer': dbt.type_int(),
        'boolean': dbt.type_boolean(),
    } -%}
    {{- return(types[column_type]) -}}
{% endmacro %}


{% macro crm_is_text_type(data_type) %}
    {%- set lowered = (data_type | string | lower) -%}
    {{- return(lowered.startswith('varchar') or lowered.startswith('string') or lowered.startswith('text')
               or lowered.startswith('char')) -}}
{% endmacro %}


{# --- File access, dispatched per adapter ----------------------------------- #}

{% macro crm_quote_path(path) %}
    {{- return("'" ~ (path | replace("'", "''")) ~ "'") -}}
{% endmacro %}


{% macro crm_read_file(path, file_format) %}
    {{ return(adapter.dispatch('crm_read_file', 'crm_warehouse')(path, file_format)) }}
{% endmacro %}

{% macro default__crm_read_file(path, file_format) %}
    {%- if file_format == 'parquet' -%}
        read_parquet({{ crm_quote_path(path) }}, union_by_name = true)
    {%- else -%}
        {#- An explicit delimiter: a malformed line then fails with DuckDB's CSV error naming
            the line, instead of the sniffer falling back to a one-column file. -#}
        read_csv({{ crm_quote_path(path) }}, header = true, all_varchar = true, union_by_name = true,
                 delim = '{{ "\t" if (path | lower).endswith(".tsv") else "," }}')
    {%- endif -%}
{% endmacro %}


{% macro crm_file_columns(path, file_format) %}
    {{ return(adapter.dispatch('crm_file_columns', 'crm_warehouse')(path, file_format)) }}
{% endmacro %}

{% macro default__crm_file_columns(path, file_format) %}
    {% set described = run_query('describe select * from ' ~ crm_read_file(path, file_format)) %}
    {% set columns = [] %}
    {% for row in described.rows %}
        {% do columns.append({'name': row[0], 'type': row[1]}) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{% macro crm_assert_file_exists(var_name, path) %}
    {{ return(adapter.dispatch('crm_assert_file_exists', 'crm_warehouse')(var_name, path)) }}
{% endmacro %}

{% macro default__crm_assert_file_exists(var_name, path) %}
    {% set matched = run_query('select count(*) from glob(' ~ crm_quote_path(path) ~ ')') %}
    {% if matched.rows[0][0] == 0 %}
        {{ exceptions.raise_compiler_error(var_name ~ ": no file matches '" ~ path ~ "'.") }}
    {% endif %}
{% endmacro %}
