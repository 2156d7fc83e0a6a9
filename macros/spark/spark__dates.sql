{#-
    Date arithmetic on Spark (docs in _spark__macros.yml).

    dbt-spark's dateadd and datediff repeat their argument three times inside
    assert_true / to_unix_timestamp wrappers: nested calls grow exponentially
    (a 50 KB query for a few nested dateadds), which makes Spark's planner slow,
    and datediff rounds hour / minute / second differences up where DuckDB counts
    boundaries (10:00 -> 12:30 is 3 hours on dbt-spark, 2 on DuckDB). These
    variants compile to one short expression each and return what dbt-duckdb's
    macros return on DuckDB:
      dateadd   a timestamp (DuckDB: date + interval = timestamp); months, quarters
                and years clamp to the month's last day ('2024-01-31' + 1 month =
                2024-02-29)
      datediff  a bigint: the number of datepart boundaries crossed between the
                two values (DuckDB's date_diff); week uses dbt-duckdb's formula
                (whole weeks of days, plus one when the weekday wraps)
-#}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
    {%- set unit = datepart | lower -%}
    {%- set units = {
        'year': ('month', 12), 'quarter': ('month', 3), 'month': ('month', 1),
        'week': ('day', 7), 'day': ('day', 1), 'hour': ('hour', 1), 'minute': ('minute', 1),
        'second': ('second', 1), 'millisecond': ('millisecond', 1), 'microsecond': ('microsecond', 1),
    } -%}
    {%- if unit not in units -%}
        {{ exceptions.raise_compiler_error("dateadd: datepart '" ~ datepart ~ "' is not supported on Spark") }}
    {%- endif -%}
    {%- set spark_unit, multiplier = units[unit] -%}
    timestampadd(
        {{ spark_unit | upper }},
        cast({{ interval }} as bigint){{ ' * ' ~ multiplier if multiplier != 1 }},
        cast({{ from_date_or_timestamp }} as timestamp)
    )
{%- endmacro %}


{% macro spark__datediff(first_date, second_date, datepart) %}
    {#- bigint, as DuckDB's date_diff. -#}
    cast({{ crm_spark_datediff_expression(first_date, second_date, datepart) }} as bigint)
{%- endmacro %}


{% macro crm_spark_datediff_expression(first_date, second_date, datepart) %}
    {%- set unit = datepart | lower -%}
    {%- if unit == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif unit == 'week' -%}
        (
            datediff(cast({{ second_date }} as date), cast({{ first_date }} as date)) div 7
            + case
                when dayofweek({{ first_date }}) <= dayofweek({{ second_date }})
                    then case when {{ first_date }} <= {{ second_date }} then 0 else -1 end
                else case when {{ first_date }} <= {{ second_date }} then 1 else 0 end
            end
        )
    {%- elif unit in ['month', 'quarter', 'year'] -%}
        {%- set per_year, part = {'month': (12, 'month'), 'quarter': (4, 'quarter'), 'year': (1, none)}[unit] -%}
        {%- if part -%}
        (
            (year({{ second_date }}) * {{ per_year }} + {{ part }}({{ second_date }}))
            - (year({{ first_date }}) * {{ per_year }} + {{ part }}({{ first_date }}))
        )
        {%- else -%}
        (year({{ second_date }}) - year({{ first_date }}))
        {%- endif -%}
    {%- elif unit in ['hour', 'minute', 'second', 'millisecond', 'microsecond'] -%}
        {%- set micros = {'hour': 3600000000, 'minute': 60000000, 'second': 1000000,
                          'millisecond': 1000, 'microsecond': 1}[unit] -%}
        {%- if micros == 1 -%}
        (unix_micros(cast({{ second_date }} as timestamp)) - unix_micros(cast({{ first_date }} as timestamp)))
        {%- else -%}
        (
            floor(unix_micros(cast({{ second_date }} as timestamp)) / {{ micros }})
            - floor(unix_micros(cast({{ first_date }} as timestamp)) / {{ micros }})
        )
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff: datepart '" ~ datepart ~ "' is not supported on Spark") }}
    {%- endif -%}
{%- endmacro %}
