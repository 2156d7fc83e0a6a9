{#-
    Local time (docs/definitions.md#raw-inputs): var business_timezone (an IANA name, default
    UTC) is the shop's local time. A naive timestamp is taken as local time; a
    timestamp with an offset ('2024-06-30T23:30:00+05:00', '...Z') or a
    zone-aware column (Parquet TIMESTAMPTZ) is converted to local time, so every
    date taken from it (purchase_date, contact date, as_of_date) is a local date,
    the same whatever the file format. Staging's timestamps are naive local times.
-#}

{% macro crm_business_timezone() %}
    {#- The validated var business_timezone (crm_validate_vars checks it before anything runs). -#}
    {%- set value = (var('business_timezone', 'UTC') or 'UTC') | string | trim -%}
    {%- if value not in modules.pytz.all_timezones_set -%}
        {%- set known = modules.pytz.all_timezones | list -%}
        {%- set closest = crm_closest_name(value, known) -%}
        {{ exceptions.raise_compiler_error(
            "var business_timezone = '" ~ value ~ "' is not an IANA time zone name"
            ~ (" (did you mean '" ~ closest ~ "'?)" if closest else "")
            ~ ": write it like 'Europe/Paris', 'Asia/Shanghai' or 'UTC'."
        ) }}
    {%- endif -%}
    {{- return(value) -}}
{% endmacro %}


{#- A trailing UTC offset or Z after a time of day: '10:00:00+05:00', '10:00Z', '10:00:00.5 -0300'. -#}
{% macro crm_offset_pattern() %}
    {{- return('[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]*)?)? *([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$') -}}
{% endmacro %}


{% macro crm_parse_timestamp(value) %}
    {#- A raw value (text or typed) as a naive local timestamp, null when it does not parse. -#}
    {{ return(adapter.dispatch('crm_parse_timestamp', 'crm_warehouse')(value)) }}
{% endmacro %}

{#- A value already typed as a naive timestamp or a date (Parquet, a table) is cast as is:
    its text has no offset, so the text path would give the same value after formatting
    and matching every row (about 4 s per column per 10M rows). typeof() is the
    column's type, folded to a constant when the query is planned, so only one branch
    runs. -#}
{% macro default__crm_parse_timestamp(value) %}
    {%- set text = dbt.cast(value, dbt.type_string()) -%}
    case
        when typeof({{ value }}) in ('TIMESTAMP', 'TIMESTAMP_NS', 'TIMESTAMP_MS', 'TIMESTAMP_S', 'DATE')
            then cast({{ value }} as {{ dbt.type_timestamp() }})
        when regexp_matches({{ text }}, '{{ crm_offset_pattern() }}')
            then timezone('{{ crm_business_timezone() }}', try_cast({{ text }} as timestamptz))
        else {{ dbt.safe_cast(value, dbt.type_timestamp()) }}
    end
{%- endmacro %}

{% macro spark__crm_parse_timestamp(value) %}
    {#- Spark reads an offset into an instant; the session time zone is UTC (profiles.yml),
        so from_utc_timestamp gives the local wall-clock time. -#}
    {%- set text = dbt.cast(value, dbt.type_string()) -%}
    case
        when typeof({{ value }}) in ('timestamp', 'timestamp_ntz', 'date')
            then cast({{ value }} as {{ dbt.type_timestamp() }})
        when {{ text }} rlike '{{ crm_offset_pattern() }}' and {{ text }} rlike '^ *[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}'
            then from_utc_timestamp(try_cast({{ text }} as timestamp), '{{ crm_business_timezone() }}')
        else {{ dbt.safe_cast(value, dbt.type_timestamp()) }}
    end
{%- endmacro %}


{% macro crm_is_zoned_timestamp_type(data_type) %}
    {#- True for a column type holding instants (converted to local time on read). -#}
    {{ return(adapter.dispatch('crm_is_zoned_timestamp_type', 'crm_warehouse')(data_type)) }}
{% endmacro %}

{% macro default__crm_is_zoned_timestamp_type(data_type) %}
    {%- set lowered = (data_type | string | lower | trim) -%}
    {{- return(lowered in ['timestamptz', 'timestamp with time zone', 'timestamp_tz']) -}}
{% endmacro %}

{% macro spark__crm_is_zoned_timestamp_type(data_type) %}
    {#- Spark's `timestamp` is an instant (TIMESTAMP_LTZ); `timestamp_ntz` is naive. -#}
    {{- return((data_type | string | lower | trim) in ['timestamp', 'timestamp_ltz']) -}}
{% endmacro %}


{% macro crm_timestamptz_to_local(value) %}
    {{ return(adapter.dispatch('crm_timestamptz_to_local', 'crm_warehouse')(value)) }}
{% endmacro %}

{% macro default__crm_timestamptz_to_local(value) %}
    timezone('{{ crm_business_timezone() }}', {{ value }})
{%- endmacro %}

{% macro spark__crm_timestamptz_to_local(value) %}
    from_utc_timestamp({{ value }}, '{{ crm_business_timezone() }}')
{%- endmacro %}
