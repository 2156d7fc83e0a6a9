{#- Small helpers of the customer marts. -#}

{% macro crm_customer_add_days(days, date_sql) %}
    {#- SQL: the date `days` days after `date_sql` (negative = before), as a date. -#}
    {{- return('cast(' ~ dbt.dateadd('day', days, date_sql) ~ ' as date)') -}}
{% endmacro %}


{% macro crm_reign_end_date(next_purchase_date_sql) %}
    {#- SQL: the last day an occasion's recency rules the stage: the day before the
        next occasion, or as_of_date for the latest one. -#}
    coalesce(
        {{ crm_customer_add_days(-1, next_purchase_date_sql) }},
        {{ crm_as_of_date() }}
    )
{%- endmacro %}


{% macro crm_age_years(birth_date_sql, at_date_sql) %}
    {#- SQL: age in whole years on `at_date_sql` (the last birthday passed counts; a
        29 February birthday falls on 28 February in other years); null for an unknown
        birth date or one after `at_date_sql`. -#}
    case
        when {{ birth_date_sql }} > {{ at_date_sql }} then null
        when
            cast({{ dbt.dateadd('year', dbt.datediff(birth_date_sql, at_date_sql, 'year'), birth_date_sql) }} as date)
            > {{ at_date_sql }}
            then {{ dbt.datediff(birth_date_sql, at_date_sql, 'year') }} - 1
        else {{ dbt.datediff(birth_date_sql, at_date_sql, 'year') }}
    end
{%- endmacro %}


{% macro crm_age_band_matches(age_sql, age_bands) %}
    {#- SQL (a join condition): the row of seed age_bands (`age_bands`, a CTE or alias)
        holding the age `age_sql`; a null age matches the band without bounds (unknown). -#}
    ({{ age_sql }} is null and {{ age_bands }}.min_age is null and {{ age_bands }}.max_age is null)
    or (
        {{ age_sql }} >= {{ age_bands }}.min_age
        and ({{ age_bands }}.max_age is null or {{ age_sql }} <= {{ age_bands }}.max_age)
    )
{%- endmacro %}


{% macro crm_customer_type(occasions_sql) %}
    {#- SQL: prospect (no occasion) | new (exactly 1 occasion) | returning (2 or more). -#}
    case
        when coalesce({{ occasions_sql }}, 0) = 0 then 'prospect'
        when {{ occasions_sql }} = 1 then 'new'
        else 'returning'
    end
{%- endmacro %}


{% macro crm_lifecycle_segment(customer_type_sql, lifecycle_stage_sql) %}
    {#- SQL: customer_type || '_' || lifecycle_stage; prospects are plain 'prospect'. -#}
    case
        when {{ customer_type_sql }} = 'prospect' then 'prospect'
        else {{ dbt.concat([customer_type_sql, "'_'", lifecycle_stage_sql]) }}
    end
{%- endmacro %}


{% macro crm_lifecycle_stage_bounds() %}
    {#-
        SQL: one row per lifecycle stage with stage_index (0 = after_sale),
        lifecycle_stage, min_days (inclusive) and max_days (exclusive, null for
        the last stage), from var lifecycle_boundaries.
    -#}
    {%- set names = crm_lifecycle_stage_names() -%}
    {%- set lowers = [0] + crm_lifecycle_boundaries() -%}
    {%- for name in names %}
    select
        {{ loop.index0 }} as stage_index,
        '{{ name }}' as lifecycle_stage,
        {{ lowers[loop.index0] }} as min_days,
        {% if loop.last %}cast(null as {{ dbt.type_int() }}){% else %}{{ lowers[loop.index] }}{% endif %} as max_days
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{% macro crm_customer_money_div(cents_sql, divisor_sql) %}
    {#-
        SQL: cents / divisor as money (decimal(18, 2)), rounded half up on the exact
        quotient, for a non-negative integer amount of cents and a positive integer
        divisor (null when the divisor is 0). Dividing decimals goes through a double
        on DuckDB and stays decimal on Spark, so a plain cast could round a half cent
        differently on the two engines; this integer form cannot (exact below 2^52
        cents).
    -#}
    cast(
        floor(
            cast(2 * ({{ cents_sql }}) + ({{ divisor_sql }}) as double)
            / (2 * nullif({{ divisor_sql }}, 0))
        )
        / 100
        as decimal(18, 2)
    )
{%- endmacro %}


{% macro crm_customer_cents(money_sql) %}
    {#- SQL: a money amount (2 decimals) as a whole number of cents (bigint). -#}
    cast(({{ money_sql }}) * 100 as {{ dbt.type_bigint() }})
{%- endmacro %}
