{#-
    Date helpers: the build's date, the as_of_date var (validated), literals.
-#}

{% macro crm_date_literal(iso_date) %}
    {{- return("cast('" ~ iso_date ~ "' as date)") -}}
{% endmacro %}


{% macro crm_parse_iso_date(value, what) %}
    {#- Returns 'YYYY-MM-DD' for a valid calendar date, or stops with a clear error. -#}
    {% set text = (value | string) | trim %}
    {% set match = modules.re.match('^(\\d{4})-(\\d{2})-(\\d{2})$', text) %}
    {% if not match %}
        {{ exceptions.raise_compiler_error(what ~ " = '" ~ text ~ "' is not a date: write it as YYYY-MM-DD.") }}
    {% endif %}
    {% set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int %}
    {% if month < 1 or month > 12 or day < 1 %}
        {{ exceptions.raise_compiler_error(what ~ " = '" ~ text ~ "' is not a date: no such month or day.") }}
    {% endif %}
    {% set first_of_next = modules.datetime.date(year + (month // 12), (month % 12) + 1, 1) %}
    {% set days_in_month = (first_of_next - modules.datetime.timedelta(days=1)).day %}
    {% if day > days_in_month %}
        {{ exceptions.raise_compiler_error(what ~ " = '" ~ text ~ "' is not a date: month " ~ month
                                           ~ " of " ~ year ~ " has " ~ days_in_month ~ " days.") }}
    {% endif %}
    {{ return(text) }}
{% endmacro %}


{% macro crm_build_date() %}
    {#- The build's date (the local day, var business_timezone, the run started): later timestamps are "in the future". -#}
    {%- set local_start = run_started_at.astimezone(modules.pytz.timezone(crm_business_timezone())) -%}
    {{- return(crm_date_literal(local_start.strftime('%Y-%m-%d'))) -}}
{% endmacro %}


{% macro crm_min_valid_date() %}
    {{- return(crm_date_literal(crm_parse_iso_date(var('min_valid_date'), 'var min_valid_date'))) -}}
{% endmacro %}


{% macro crm_as_of_date() %}
    {#-
        as_of_date in SQL: a scalar read of the build context (models/intermediate/context/
        int_build_context.sql). The calling model imports it as a CTE named build_context,
            build_context as (select * from {{ ref('int_build_context') }}),
        so the dependency is a ref the model writes itself and nothing runs at compile time.
    -#}
    {{- return('(select as_of_date from build_context)') -}}
{% endmacro %}


{% macro crm_validate_vars() %}
    {#-
        on-run-start: check every var a user may set before anything runs, so a
        typo stops the build with one clear line instead of a failure deep in a model.
    -#}
    {% if execute %}
        {% if var('as_of_date', none) is not none and (var('as_of_date') | string | trim) != '' %}
            {% do crm_parse_iso_date(var('as_of_date'), 'var as_of_date') %}
        {% endif %}
        {% do crm_parse_iso_date(var('min_valid_date'), 'var min_valid_date') %}
        {% set share = var('max_rejected_share') | string %}
        {% if not modules.re.match('^(0|1|0?\\.\\d+|1\\.0*)$', share) %}
            {{ exceptions.raise_compiler_error(
                "var max_rejected_share = '" ~ share ~ "' must be a number between 0 and 1."
            ) }}
        {% endif %}
        {% for input_name in crm_raw_contract().keys() %}
            {% do crm_raw_source(input_name) %}
        {% endfor %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}
