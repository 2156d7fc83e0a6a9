{#-
    Row-level validation shared by every raw input (docs/definitions.md#raw-inputs).

    crm_validate_input(input_name, relation, extra_checks) builds the base model of an
    input: one row per distinct raw row (exact duplicates collapsed, counted in
    `copies`), its typed values, and a `disposition`:
      kept        the row is the input's current version of its key and valid
      superseded  a later version of the same key (by the version column) wins
      rejected    see rejection_reason / rejection_detail; raw_values holds the
                  raw row as text for staging.rejected_rows
    Checks, first failing one wins: missing key (a required key column;
    member_events' product_id may be null), missing required value,
    unparseable value, unknown enum value, negative amount, extra checks of the
    input, timestamp after the build's date or before var min_valid_date, and
    conflicting versions (same key, different content, no later version column
    value to decide: every version of the key is rejected).

    relation: the input's source, source('crm_raw', input_name), written in the base model.
    extra_checks: list of {'reason': code, 'column': name, 'condition': SQL over
    the typed columns, true when the row is bad}.
-#}
{% macro crm_validate_input(input_name, relation, extra_checks=[]) %}
    {% set spec = crm_raw_input_spec(input_name) %}
    {% set columns = spec.columns %}
    {% set key = spec.key %}
    {% set version_column = spec.version_column %}
    {% set checks = [] %}

    {% for column in columns if column.name in key and column.required %}
        {% do checks.append({'reason': 'missing_key', 'column': column.name,
                             'condition': 'raw_' ~ column.name ~ ' is null'}) %}
    {% endfor %}
    {% for column in columns if column.required and column.name not in key %}
        {% do checks.append({'reason': 'missing_required_value', 'column': column.name,
                             'condition': 'raw_' ~ column.name ~ ' is null'}) %}
    {% endfor %}
    {% for column in columns if column.type != 'text' %}
        {% do checks.append({'reason': 'unparseable_value', 'column': column.name,
                             'condition': 'raw_' ~ column.name ~ ' is not null and parsed_' ~ column.name ~ ' is null'}) %}
    {% endfor %}
    {% for column in columns if column.type == 'money' %}
        {% do checks.append({'reason': 'amount_too_large', 'column': column.name,
                             'condition': 'abs(parsed_' ~ column.name ~ ') >= ' ~ crm_money_limit()}) %}
    {% endfor %}
    {% for column in columns if column.accepted %}
        {% set literals = [] %}
        {% for value in column.accepted %}
            {% do literals.append(("'" ~ value ~ "'") if value is string else (value | string)) %}
        {% endfor %}
        {% do checks.append({'reason': column.reason or 'unknown_value', 'column': column.name,
                             'condition': column.name ~ ' not in (' ~ literals | join(', ') ~ ')'}) %}
    {% endfor %}
    {% for column in columns if column.non_negative %}
        {% do checks.append({'reason': 'negative_amount' if column.type == 'money' else 'negative_value',
                             'column': column.name, 'condition': column.name ~ ' < 0'}) %}
    {% endfor %}
    {% for check in extra_checks %}
        {% do checks.append(check) %}
    {% endfor %}
    {% for column in columns if column.fact_time or column.not_future %}
        {% do checks.append({'reason': 'future_timestamp', 'column': column.name,
                             'condition': 'cast(' ~ column.name ~ ' as date) > ' ~ crm_build_date()}) %}
    {% endfor %}
    {% for column in columns if column.fact_time %}
        {% do checks.append({'reason': 'before_min_valid_date', 'column': column.name,
                             'condition': 'cast(' ~ column.name ~ ' as date) < ' ~ crm_min_valid_date()}) %}
    {% endfor %}

{#- Most keys occur in exactly one raw row. Those rows need no collapsing and no
    version ranking, so they take a streaming path (`single_*`); only rows whose
    typed key's hash occurs more than once (`repeated_*`) are collapsed into
    distinct rows and ranked. The split is by a 64-bit hash of the typed key
    (grouping 10M integers instead of 10M key strings): a hash collision only
    sends a few unique keys down the repeated path, which gives a unique key the
    same result, so the outcome is exact. No CTE over the whole input is
    materialised: grouping every row by every column, or ranking every row, held
    the whole wide input in memory (4 GB and 14 s for 10M orders, against 1 GB
    and 8 s this way). -#}
{%- set typed_keys = [] %}
{%- for column in columns if column.name in key %}
    {%- do typed_keys.append(crm_typed_value(column, column.name if column.type == 'text'
                                             else dbt.safe_cast(column.name, crm_sql_type(column.type)))) %}
{%- endfor %}
{%- set repeated_key_match = 'select 1 from repeated_keys where repeated_keys.key_hash = keyed.key_hash' %}
with

source as {{ crm_cte_not_materialized() }} (
    {{ crm_raw_input(input_name, relation) | indent(4) }}
),

keyed as {{ crm_cte_not_materialized() }} (
    select
        *,
        {{ crm_hash_values(typed_keys) }} as key_hash
    from source
),

repeated_keys as (
    select key_hash
    from keyed
    group by key_hash
    having count(*) > 1
),

single_collapsed as (
    select
        {%- for column in columns %}
        {{ column.name }} as raw_{{ column.name }},
        {%- endfor %}
        1 as copies
    from keyed
    where not exists ({{ repeated_key_match }})
),

repeated_collapsed as (
    select
        {%- for column in columns %}
        {{ column.name }} as raw_{{ column.name }},
        {%- endfor %}
        count(*) as copies
    from keyed
    where exists ({{ repeated_key_match }})
    group by
        {%- for column in columns %}
        {{ column.name }}{{ "," if not loop.last }}
        {%- endfor %}
),

{% for path in ['single', 'repeated'] %}
{{ path }}_parsed as (
    select
        *
        {%- for column in columns if column.type != 'text' %},
        {{ crm_parse_raw_value(column, 'raw_' ~ column.name) }} as parsed_{{ column.name }}
        {%- endfor %}
    from {{ path }}_collapsed
),

{{ path }}_typed as (
    select
        *
        {%- for column in columns %},
        {{ crm_typed_value(column, ('raw_' ~ column.name) if column.type == 'text' else crm_fit_parsed_value(column, 'parsed_' ~ column.name)) }}
            as {{ column.name }}
        {%- endfor %}
    from {{ path }}_parsed
),

{{ path }}_checked as (
    select
        *,
        case
            {%- for check in checks %}
            when {{ check.condition }} then '{{ check.reason }}'
            {%- endfor %}
        end as row_rejection_reason,
        case
            {%- for check in checks %}
            when {{ check.condition }} then '{{ check.column }}'
            {%- endfor %}
        end as row_rejection_detail
    from {{ path }}_typed
),

{% endfor %}
key_stats as (
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        count(*) as key_rows
        {%- if version_column %},
        max({{ version_column }}) as latest_version
        {%- endif %}
    from repeated_checked
    group by {{ key | join(', ') }}
),

counted as (
    select
        repeated_checked.*,
        key_stats.key_rows,
        {%- if version_column %}
        {#- rank() over (order by version desc nulls last) = 1: the latest non-null
            version, or every row when no row has a version. -#}
        case
            when key_stats.latest_version is null or repeated_checked.{{ version_column }} = key_stats.latest_version
                then 1
            else 2
        end as version_rank
        {%- else %}
        1 as version_rank
        {%- endif %}
    from repeated_checked
    inner join key_stats
        on
            {%- for column in key %}
            {{ 'and ' if not loop.first }}repeated_checked.{{ column }} is not distinct from key_stats.{{ column }}
            {%- endfor %}
),

versioned as (
    select
        *,
        1 as key_rows,
        1 as version_rank,
        1 as top_versions
    from single_checked
    union all
    select
        *,
        {%- if version_column %}
        sum(case when version_rank = 1 then 1 else 0 end) over (
            partition by {{ key | join(', ') }}
        ) as top_versions
        {%- else %}
        key_rows as top_versions
        {%- endif %}
    from counted
),

final as (
    select
        {%- for column in columns %}
        {{ column.name }},
        {%- endfor %}
        {#- Text keys and raw values are only kept where staging.rejected_rows shows
            them: building a key string for every kept row cost seconds per 10M rows. -#}
        case
            when row_rejection_reason is not null or top_versions > 1
                then {{ dbt.concat(crm_key_parts(key)) }}
        end as record_key,
        copies,
        case
            when row_rejection_reason = 'missing_key' then 'rejected'
            when top_versions > 1 then 'rejected'
            when version_rank > 1 then 'superseded'
            when row_rejection_reason is not null then 'rejected'
            else 'kept'
        end as disposition,
        case
            when row_rejection_reason = 'missing_key' then row_rejection_reason
            when top_versions > 1 then 'conflicting_duplicate'
            when version_rank > 1 then null
            else row_rejection_reason
        end as rejection_reason,
        case
            when row_rejection_reason = 'missing_key' then row_rejection_detail
            when top_versions > 1 then '{{ key | join(", ") }}'
            when version_rank > 1 then null
            else row_rejection_detail
        end as rejection_detail,
        case
            when row_rejection_reason is not null or top_versions > 1
                then {{ dbt.concat(crm_raw_value_parts(columns)) }}
        end as raw_values
    from versioned
)

select * from final
{% endmacro %}


{% macro crm_key_parts(key) %}
    {#- record_key: the key columns as text joined by '|', empty for a null part. -#}
    {% set parts = [] %}
    {% for column in key %}
        {% if not loop.first %}{% do parts.append("'|'") %}{% endif %}
        {% do parts.append("coalesce(" ~ dbt.cast('raw_' ~ column, dbt.type_string()) ~ ", '')") %}
    {% endfor %}
    {{ return(parts) }}
{% endmacro %}


{% macro crm_raw_value_parts(columns) %}
    {#- raw_values: 'name=value; name=value' from the raw (untyped) values; PII columns
        (email, phone) masked (crm_mask_pii). -#}
    {% set parts = [] %}
    {% for column in columns %}
        {% do parts.append("'" ~ ('' if loop.first else '; ') ~ column.name ~ "='") %}
        {% set raw_text = dbt.cast('raw_' ~ column.name, dbt.type_string()) %}
        {% do parts.append("coalesce(" ~ (crm_mask_pii(raw_text) if column.pii else raw_text) ~ ", '')") %}
    {% endfor %}
    {{ return(parts) }}
{% endmacro %}


{% macro crm_check_rejected_share(input_name) %}
    {#-
        Post-hook of each base model: stops the build when the input's rejected
        share is above var max_rejected_share, naming the input. The share counts
        raw rows: every copy of a rejected row counts.
    -#}
    {% if execute %}
        {% set threshold = var('max_rejected_share') | float %}
        {% set result = run_query(
            "select sum(copies), sum(case when disposition = 'rejected' then copies else 0 end) from " ~ this
        ) %}
        {% set rows_in = result.rows[0][0] or 0 %}
        {% set rejected = result.rows[0][1] or 0 %}
        {% if rows_in > 0 and (rejected / rows_in) > threshold %}
            {% set top = run_query(
                "select rejection_reason, rejection_detail, sum(copies) from " ~ this
                ~ " where disposition = 'rejected' group by rejection_reason, rejection_detail"
                ~ " order by sum(copies) desc, rejection_reason, rejection_detail limit 1"
            ).rows[0] %}
            {{ exceptions.raise_compiler_error(
                "Input '" ~ input_name ~ "': " ~ rejected ~ " of " ~ rows_in ~ " rows rejected ("
                ~ '%.2f' | format(100 * rejected / rows_in) ~ "%), above the threshold of "
                ~ '%.2f' | format(100 * threshold) ~ "% (var max_rejected_share); most are " ~ top[0]
                ~ " in column " ~ top[1] ~ " (" ~ top[2] ~ " rows). Fix: " ~ crm_rejection_fix(input_name, top[0])
                ~ " See staging.rejected_rows for the rows and their reasons."
            ) }}
        {% endif %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}


{% macro crm_typed_value(column, parsed) %}
    {#- A column's typed value from its parsed value (the raw text for text
        columns): the input's normalisation, then its default. -#}
    {%- set value = parsed %}
    {%- if column.normalise %}
    {%- set value = column.normalise ~ '(' ~ value ~ ')' %}
    {%- endif %}
    {%- if column.default %}
    {%- set value = 'coalesce(' ~ value ~ ', ' ~ column.default ~ ')' %}
    {%- endif %}
    {{- return(value) -}}
{% endmacro %}


{% macro crm_money_limit() %}
    {#- Money values at or above this (in absolute value) are rejected as amount_too_large:
        above 10^16 they do not fit decimal(18, 2) at all, and from 10^12 on a few
        thousand of them overflow the decimal(18, 2) totals of the marts. No real order
        or line total is a trillion (docs/decisions.md). -#}
    {{- return('1000000000000') -}}
{% endmacro %}


{% macro crm_parse_raw_value(column, raw) %}
    {#- A raw value (text, or typed from Parquet / a relation) parsed to the column's
        type; null when it does not parse. Money is parsed wide (decimal(38, 2)) so an
        amount too large for decimal(18, 2) is told apart from text that is no number;
        timestamps are taken to local time (macros/timezones.sql). -#}
    {%- if column.type == 'timestamp' -%}
        {{ crm_parse_timestamp(raw) }}
    {%- elif column.type == 'money' -%}
        {{ dbt.safe_cast(raw, 'decimal(38, 2)') }}
    {%- else -%}
        {{ dbt.safe_cast(raw, crm_sql_type(column.type)) }}
    {%- endif -%}
{% endmacro %}


{% macro crm_fit_parsed_value(column, parsed) %}
    {#- The parsed value in the column's staging type (money: null when too large; the row is rejected). -#}
    {%- if column.type == 'money' -%}
        cast(case when abs({{ parsed }}) < {{ crm_money_limit() }} then {{ parsed }} end as {{ crm_sql_type('money') }})
    {%- else -%}
        {{ parsed }}
    {%- endif -%}
{% endmacro %}


{% macro crm_rejection_fix(input_name, reason) %}
    {#- One sentence: what to do about the most frequent rejection reason of an input. -#}
    {% set fixes = {
        'unparseable_line': "lines that cannot be read: set var raw_" ~ input_name ~ "_csv (delim, quote, encoding, header) to the file's dialect.",
        'unparseable_value': "values that are not of the column's type: check the column's format (dates as YYYY-MM-DD hh:mm:ss, numbers with a '.' decimal point).",
        'missing_key': "rows without a key: export the key column for every row.",
        'missing_required_value': "empty required values: export them for every row.",
        'future_timestamp': "timestamps after today: check the export's time zone (var business_timezone) and date format.",
        'before_min_valid_date': "timestamps before var min_valid_date: check the date format, or lower min_valid_date.",
        'conflicting_duplicate': "the same key with different content and no later updated_at: export updated_at or deduplicate the export.",
    } %}
    {{ return(fixes.get(reason, "correct these rows in the export, or raise var max_rejected_share if they are expected.")) }}
{% endmacro %}
