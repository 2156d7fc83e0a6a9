{#-
    Raw-input resolution (docs/definitions.md#raw-inputs).

    Each input comes from its bundled seed `raw_<input>` by default, or from the
    var of the same name holding
      - a file path or glob ending in .csv / .csv.gz / .tsv / .parquet, or
      - a relation `schema.table`, or
      - `none`: the input is absent.
    When var raw_orders names the user's own data, every other input without a
    var of its own is absent (the demo seeds never mix with a user's data).

    crm_raw_input(input_name, hash_keys) returns a select with every contract
    column of the input, in contract order: string columns trimmed with '' as
    null, integer keys as text, zone-aware timestamps in local time, member ids
    as customer keys (hash_keys, var customer_key), columns the input lacks as
    typed nulls (a missing *required* column stops the build with an error naming
    the input and the column). Extra columns are ignored.
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


{% macro crm_raw_input(input_name, relation, hash_keys=true) %}
    {#-
        relation: the input's source, source('crm_raw', input_name), which the calling
        model writes itself (models/staging/crm/_crm__sources.yml declares where it is).
          seed      the seed table the source names
          relation  the source: on DuckDB its external_location, a select from the
                    table in the warehouse or in the database attached with CRM_ATTACH;
                    on Spark the table of the var (a Spark source has one schema, raw)
          file      read here from the var's path with the CSV dialect and the line
                    rejects the source's plain read has not (crm_read_file); on Spark
                    the source is the external table crm_read_file registers
    -#}
    {% set spec = crm_raw_input_spec(input_name) %}
    {% set source = crm_raw_source(input_name) %}
    {% set var_name = 'raw_' ~ input_name %}
    {#- A DuckDB source with an external_location renders as that expression; the table it names: -#}
    {% set table = relation.incorporate(external=none) if relation.external is defined and relation.external else relation %}

    {% if source.kind == 'seed' %}
        {% set from_clause = table %}
    {% elif source.kind == 'relation' %}
        {% set parts = source.value.split('.') %}
        {% set from_clause = relation if target.type == 'duckdb'
                             else api.Relation.create(schema=parts[0], identifier=parts[1]) %}
    {% elif source.kind == 'file' %}
        {% set dialect = crm_csv_dialect(input_name, source.value) if source.format == 'csv' else {} %}
        {% set from_clause = crm_read_file(source.value, source.format, dialect) %}
    {% endif %}

    {#- Discover the input's columns at execution time: name -> data type. -#}
    {% set found = {} %}
    {% if execute and source.kind != 'absent' %}
        {% if source.kind == 'file' %}
            {% if relation.identifier != crm_file_identifier(source.value, source.format) %}
                {{ exceptions.raise_compiler_error(
                    var_name ~ ": source crm_raw." ~ input_name ~ " names " ~ relation.identifier ~ ", not the file '"
                    ~ source.value ~ "': models/staging/crm/_crm__sources.yml and crm_raw_source disagree."
                ) }}
            {% endif %}
            {{ crm_assert_file_exists(var_name, source.value) }}
            {% set columns = crm_file_columns(source.value, source.format, dialect) %}
            {% if dialect.line_rejects %}
                {#- A single CSV file is read with the columns of its header line, so the
                    read needs them (crm_read_file). -#}
                {% do dialect.update({'columns': columns | map(attribute='name') | list}) %}
                {% set from_clause = crm_read_file(source.value, source.format, dialect) %}
            {% endif %}
        {% elif source.kind == 'relation' %}
            {% set columns = crm_relation_columns(var_name, source.value, from_clause) %}
        {% else %}
            {% set columns = [] %}
            {% for column in adapter.get_columns_in_relation(from_clause) %}
                {% do columns.append({'name': column.name, 'type': column.dtype}) %}
            {% endfor %}
        {% endif %}
        {% if source.kind == 'file' and (columns | length == 0 or (columns | length == 1 and columns[0].name == 'column0')) %}
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
        {%- else %}
        {%- if execute and not crm_is_text_type(found[column.name].type) %}
        {%- set value = crm_raw_typed_column(column, found[column.name]) %}
        {%- else %}
        {%- set value = "nullif(trim(" ~ adapter.quote(found[column.name].name if execute else column.name) ~ "), '')" %}
        {%- endif %}
        {{ crm_customer_key(value) if hash_keys and column.member_key else value }} as {{ column.name }}
        {%- endif %}
        {{- "," if not loop.last }}
        {%- endfor %}
    {%- if source.kind != 'absent' %}
    from {{ from_clause }}
    {%- else %}
    where 1 = 0
    {%- endif %}
{% endmacro %}


{% macro crm_relation_columns(var_name, value, relation) %}
    {#- The columns (name, type) of a relation input, or an error naming the var when it does not exist. -#}
    {{ return(adapter.dispatch('crm_relation_columns', 'crm_warehouse')(var_name, value, relation)) }}
{% endmacro %}

{% macro default__crm_relation_columns(var_name, value, relation) %}
    {#- relation is the source's select from the table (database: the warehouse, or with the
        duckdb_attach target the database attached read-only with CRM_ATTACH). -#}
    {% set described = try_or_compiler_error(
        var_name ~ ": relation '" ~ value ~ "' does not exist (in the "
        ~ ("database attached with CRM_ATTACH=" ~ env_var('CRM_ATTACH', '') if target.name == 'duckdb_attach'
           else "warehouse; for a table of another DuckDB database, set CRM_ATTACH=/path/to/source.duckdb") ~ ").",
        run_query, 'describe select * from ' ~ relation
    ) %}
    {% set columns = [] %}
    {% for row in described.rows %}
        {% do columns.append({'name': row[0], 'type': row[1]}) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}

{% macro spark__crm_relation_columns(var_name, value, relation) %}
    {% set existing = adapter.get_relation(database=relation.database, schema=relation.schema,
                                           identifier=relation.identifier) %}
    {% if existing is none %}
        {{ exceptions.raise_compiler_error(var_name ~ ": relation '" ~ value ~ "' does not exist.") }}
    {% endif %}
    {% set columns = [] %}
    {% for column in adapter.get_columns_in_relation(existing) %}
        {% do columns.append({'name': column.name, 'type': column.dtype}) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{% macro crm_raw_typed_column(column, found_column) %}
    {#-
        A typed (non-text) column of a Parquet file or relation, as staging reads it:
          - a text column of the contract (keys: order_id, member_id, store_id, ...)
            holding integers becomes text, so staging and marts carry text keys
            whatever the export's types (docs/definitions.md#raw-inputs);
          - a timestamp column holding a time-zone-aware type (Parquet TIMESTAMPTZ)
            becomes local time of var business_timezone (crm_timestamptz_to_local);
          - anything else is passed as is (staging's safe casts type it).
    -#}
    {%- set quoted = adapter.quote(found_column.name) -%}
    {%- if column.type == 'text' -%}
        nullif(trim({{ dbt.cast(quoted, dbt.type_string()) }}), '')
    {%- elif column.type == 'timestamp' and crm_is_zoned_timestamp_type(found_column.type) -%}
        {{ crm_timestamptz_to_local(quoted) }}
    {%- else -%}
        {{ quoted }}
    {%- endif -%}
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

{% macro crm_file_identifier(path, file_format) %}
    {#- The source identifier of a file input (_crm__sources.yml computes the same), and on
        Spark the name of the external table over the file in schema raw. -#}
    {{- return('crm_file_' ~ local_md5(file_format ~ ':' ~ path)[:16]) -}}
{% endmacro %}

{% macro crm_quote_path(path) %}
    {{- return("'" ~ (path | replace("'", "''")) ~ "'") -}}
{% endmacro %}


{% macro crm_csv_dialect(input_name, path) %}
    {#-
        How a CSV input is read: var raw_<input>_csv (a mapping, all keys optional)
        over the defaults
          delim     ',' (tab for .tsv)      one character, or 'tab'
          quote     '"'                     one character, '' for none
          escape    the quote character     one character
          encoding  utf-8                   utf-8 | utf-16 | latin-1
          header    true                    false: the columns are the contract's, in order
        e.g. --vars "{raw_orders: /data/orders.csv, raw_orders_csv: {delim: ';', encoding: latin-1}}".
        line_rejects: a single file (no glob) is read strictly with these settings and a
        line that cannot be read is a rejected row with its line number
        (crm_store_unparseable_lines); a glob is matched by column names across files
        (union_by_name), which DuckDB cannot combine with rejected lines: a bad line then
        fails the read with DuckDB's message naming the file and the line.
    -#}
    {% set var_name = 'raw_' ~ input_name ~ '_csv' %}
    {% set given = var(var_name, none) or {} %}
    {% if given is string or given is not mapping %}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be a mapping, e.g. {delim: ';', quote: '\"', encoding: latin-1, header: true}."
        ) }}
    {% endif %}
    {% set allowed = ['delim', 'quote', 'escape', 'encoding', 'header'] %}
    {% for key in given.keys() %}
        {% if key not in allowed %}
            {% set closest = crm_closest_name(key, allowed) %}
            {{ exceptions.raise_compiler_error(
                "var " ~ var_name ~ ": unknown setting '" ~ key ~ "'"
                ~ (" (did you mean '" ~ closest ~ "'?)" if closest else "") ~ "; known: " ~ allowed | join(', ') ~ "."
            ) }}
        {% endif %}
    {% endfor %}
    {% set delim = given.get('delim', '\t' if (path | lower).endswith('.tsv') else ',') | string %}
    {% if delim | lower in ['tab', '\\t'] %}{% set delim = '\t' %}{% endif %}
    {% set quote = given.get('quote', '"') %}
    {% set quote = '' if quote is none else quote | string %}
    {% set escape = given.get('escape', quote) %}
    {% set escape = '' if escape is none else escape | string %}
    {% set encoding = (given.get('encoding', 'utf-8') | string | lower) | replace('_', '-') %}
    {% set encoding = {'utf8': 'utf-8', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'utf16': 'utf-16'}.get(encoding, encoding) %}
    {% set header = given.get('header', true) %}
    {% if delim | length != 1 or quote | length > 1 or escape | length > 1 %}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ ": delim must be one character (or 'tab'), quote and escape one character or ''."
        ) }}
    {% endif %}
    {% if encoding not in ['utf-8', 'utf-16', 'latin-1'] %}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ ": encoding '" ~ encoding ~ "' is not supported; use utf-8, utf-16 or latin-1 "
            ~ "(convert other encodings first, e.g. iconv -f cp1252 -t utf-8)."
        ) }}
    {% endif %}
    {% if header not in [true, false] %}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ ": header must be true or false.") }}
    {% endif %}
    {{ return({
        'input_name': input_name, 'delim': delim, 'quote': quote, 'escape': escape, 'encoding': encoding,
        'header': header, 'columns': none,
        'line_rejects': target.type == 'duckdb' and not modules.re.search('[*?\\[]', path),
    }) }}
{% endmacro %}


{% macro crm_sql_string(value) %}
    {#- A SQL string literal (quotes doubled). -#}
    {{- return("'" ~ ((value | string) | replace("'", "''")) ~ "'") -}}
{% endmacro %}


{% macro crm_rejects_tables(input_name) %}
    {#- The temporary tables where DuckDB's read_csv records the lines it could not read. -#}
    {{ return({'errors': 'crm_rejects_' ~ input_name, 'scans': 'crm_rejects_' ~ input_name ~ '_scans'}) }}
{% endmacro %}


{% macro crm_read_file(path, file_format, dialect={}) %}
    {{ return(adapter.dispatch('crm_read_file', 'crm_warehouse')(path, file_format, dialect)) }}
{% endmacro %}

{% macro default__crm_read_file(path, file_format, dialect={}) %}
    {%- if file_format == 'parquet' -%}
        read_parquet({{ crm_quote_path(path) }}, union_by_name = true)
    {%- elif dialect.line_rejects -%}
        {#- Strict read of one file: no sniffing (a 50 MB field or bad bytes in the sample
            would fail it), the header's columns as text, a line that cannot be read goes
            to the rejects tables with its line number (crm_store_unparseable_lines). -#}
        {%- set tables = crm_rejects_tables(dialect.input_name) -%}
        {%- set names = dialect.columns or ['column0'] -%}
        read_csv({{ crm_quote_path(path) }}, auto_detect = false, header = false, skip = {{ 1 if dialect.header else 0 }},
                 columns = { {%- for name in names %}{{ crm_sql_string(name) }}: 'VARCHAR'{{ ", " if not loop.last }}{% endfor -%} },
                 delim = {{ crm_sql_string(dialect.delim) }}, quote = {{ crm_sql_string(dialect.quote) }},
                 escape = {{ crm_sql_string(dialect.escape) }}, encoding = {{ crm_sql_string(dialect.encoding) }},
                 store_rejects = true, rejects_table = '{{ tables.errors }}', rejects_scan = '{{ tables.scans }}')
    {%- else -%}
        {#- A glob: files matched by column name. An explicit delimiter: a malformed line then
            fails with DuckDB's CSV error naming the line, instead of the sniffer falling back
            to a one-column file. -#}
        read_csv({{ crm_quote_path(path) }}, header = {{ 'true' if dialect.get('header', true) else 'false' }},
                 all_varchar = true, union_by_name = true,
                 delim = {{ crm_sql_string(dialect.get('delim', ',')) }}, quote = {{ crm_sql_string(dialect.get('quote', '"')) }},
                 escape = {{ crm_sql_string(dialect.get('escape', '"')) }},
                 encoding = {{ crm_sql_string(dialect.get('encoding', 'utf-8')) }}
                 {{- ', ignore_errors = true' if dialect.get('ignore_errors') }})
    {%- endif -%}
{% endmacro %}


{% macro crm_file_columns(path, file_format, dialect={}) %}
    {{ return(adapter.dispatch('crm_file_columns', 'crm_warehouse')(path, file_format, dialect)) }}
{% endmacro %}

{% macro default__crm_file_columns(path, file_format, dialect={}) %}
    {% set columns = [] %}
    {% if file_format == 'csv' and dialect.line_rejects %}
        {#- The first line alone, read as one text field (no sniffing). ignore_errors: bad bytes
            or an overlong line further down (rejected by the data read, with their line
            numbers) must not fail it. parallel = false: one scanner from the start of the
            file, so `limit 1` is line 1 (a parallel scan, with the profile's
            preserve_insertion_order off, could return any line: issue 19, a 50 MB field at
            line 101 gave line 102). It stops after its first vector of 2,048 lines: 0.01 s
            on a 318 MB file, about 1 s when a 50 MB line is among them. -#}
        {% set first = run_query(
            "select * from read_csv(" ~ crm_quote_path(path) ~ ", auto_detect = false, header = false, "
            ~ "columns = {'line': 'VARCHAR'}, delim = chr(31), quote = '', escape = '', ignore_errors = true, "
            ~ "parallel = false, "
            ~ "encoding = " ~ crm_sql_string(dialect.encoding) ~ ") limit 1"
        ) %}
        {% if first.rows | length == 0 or first.rows[0][0] is none %}
            {{ return([]) }}
        {% endif %}
        {% set fields = (first.rows[0][0] | string).split(dialect.delim) %}
        {% if dialect.header %}
            {% for field in fields %}
                {% set name = field | replace('\ufeff', '') | trim %}
                {% if dialect.quote and name.startswith(dialect.quote) and name.endswith(dialect.quote) and name | length > 1 %}
                    {% set name = name[1:-1] | replace(dialect.quote ~ dialect.quote, dialect.quote) %}
                {% endif %}
                {% do columns.append({'name': name or ('column' ~ loop.index0), 'type': 'VARCHAR'}) %}
            {% endfor %}
        {% else %}
            {% set contract_columns = crm_raw_input_spec(dialect.input_name).columns %}
            {% for field in fields %}
                {% set name = contract_columns[loop.index0].name if loop.index0 < contract_columns | length
                              else 'extra_column' ~ loop.index %}
                {% do columns.append({'name': name, 'type': 'VARCHAR'}) %}
            {% endfor %}
        {% endif %}
        {{ return(columns) }}
    {% endif %}
    {% set described = run_query('describe select * from ' ~ crm_read_file(path, file_format, dialect)) %}
    {% for row in described.rows %}
        {% do columns.append({'name': row[0], 'type': row[1]}) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{% macro crm_store_unparseable_lines(input_name) %}
    {#-
        Post-hook of each base model: the lines of a single CSV file that DuckDB could
        not read (wrong number of fields, bad bytes for the encoding, a line over
        max_line_size) become rejected rows of the input, reason unparseable_line,
        record_key 'line <n>' (the line number in the file, header = line 1).
    -#}
    {% set source = crm_raw_source(input_name) %}
    {% if not execute or source.kind != 'file' or source.format != 'csv' or target.type != 'duckdb' %}
        {{ return('select 1') }}
    {% endif %}
    {% set dialect = crm_csv_dialect(input_name, source.value) %}
    {% if not dialect.line_rejects %}
        {{ return('select 1') }}
    {% endif %}
    {% set tables = crm_rejects_tables(input_name) %}
    {% set exists = run_query(
        "select count(*) from duckdb_tables() where temporary and table_name = '" ~ tables.errors ~ "'"
    ) %}
    {% if exists.rows[0][0] == 0 %}
        {{ return('select 1') }}
    {% endif %}
    {#- Every scan of the file in this session read the same lines: one row per line. -#}
    {% set sql %}
        insert into {{ this }} (record_key, copies, disposition, rejection_reason, rejection_detail, raw_values)
        select
            'line ' || cast(errors.line as varchar),
            1,
            'rejected',
            'unparseable_line',
            coalesce(min(errors.column_name), 'line'),
            'line=' || cast(errors.line as varchar) || '; error=' || min(errors.error_message)
            || '; text=' || left(trim(min(errors.csv_line), chr(10) || chr(13)), 10000)
        from {{ tables.errors }} as errors
        inner join {{ tables.scans }} as scans
            on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
        where scans.file_path = {{ crm_quote_path(source.value) }}
        group by errors.line
    {% endset %}
    {{ return(sql) }}
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
