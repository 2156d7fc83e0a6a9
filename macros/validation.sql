{#-
    Row-level validation shared by every raw input (DESIGN.md section 3).

    crm_validate_input(input_name, extra_checks) builds the base model of an
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

    extra_checks: list of {'reason': code, 'column': name, 'condition': SQL over
    the typed columns, true when the row is bad}.
-#}
{% macro crm_validate_input(input_name, extra_checks=[]) %}
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
    {{ crm_raw_input(input_name) | indent(4) }}
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
        {{ dbt.safe_cast('raw_' ~ column.name, crm_sql_type(column.type)) }} as parsed_{{ column.name }}
        {%- endfor %}
    from {{ path }}_collapsed
),

{{ path }}_typed as (
    select
        *
        {%- for column in columns %},
        {{ crm_typed_value(column, ('raw_' ~ column.name) if column.type == 'text' else ('parsed_' ~ column.name)) }}
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
    {#- raw_values: 'name=value; name=value' from the raw (untyped) values. -#}
    {% set parts = [] %}
    {% for column in columns %}
        {% do parts.append("'" ~ ('' if loop.first else '; ') ~ column.name ~ "='") %}
        {% do parts.append("coalesce(" ~ dbt.cast('raw_' ~ column.name, dbt.type_string()) ~ ", '')") %}
    {% endfor %}
    {{ return(parts) }}
{% endmacro %}


{% macro crm_check_rejected_share(input_name) %}
    {#-
        Post-hook of each base model: stops the build when the input's rejected
        share is above var max_rejected_share, naming the input.
    -#}
    {% if execute %}
        {% set threshold = var('max_rejected_share') | float %}
        {% set result = run_query(
            "select sum(copies), sum(case when disposition = 'rejected' then 1 else 0 end) from " ~ this
        ) %}
        {% set rows_in = result.rows[0][0] or 0 %}
        {% set rejected = result.rows[0][1] or 0 %}
        {% if rows_in > 0 and (rejected / rows_in) > threshold %}
            {{ exceptions.raise_compiler_error(
                "Input '" ~ input_name ~ "': " ~ rejected ~ " of " ~ rows_in ~ " rows rejected ("
                ~ '%.2f' | format(100 * rejected / rows_in) ~ "%), above the threshold of "
                ~ '%.2f' | format(100 * threshold) ~ "% (var max_rejected_share). "
                ~ "See staging.rejected_rows for the rows and their reasons."
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
