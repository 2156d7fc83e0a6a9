{#-
    A select counting customers by recency band at given dates, without a customer x
    date spine. `occasions` is the occasion grain, crm_purchase_occasions (partition
    columns, customer_id, purchase_date, occasion_number, next_purchase_date); `dates`
    a relation with a date column `at_date`. A customer is counted at a date d when
    they have an occasion on or before d; recency = d - their latest such occasion,
    and band i holds recency in [lower_bounds[i], lower_bounds[i + 1]) (the last band
    is open). With split_customer_type, customer_type is new (exactly 1 occasion on or
    before d) or returning (>= 2).
    Method: each occasion is the latest one from its date to the day before the next
    occasion; inside that span the customer sits in band i from purchase_date +
    lower_bounds[i]. Each (occasion, band) span adds +1 at its start and -1 at its
    end; the count at d is the sum of the changes dated on or before d.
    Returns: partition columns, at_date, band_index, lower_days, upper_days (null for
    the open band), [customer_type,] customers. Only non-zero counts are returned.
    `bands` (a list of band indexes, default all) counts only those bands: each band
    costs one span per occasion, so a caller that needs two of six bands does a third
    of the work.
-#}
{% macro crm_customers_by_recency(
    occasions, dates, lower_bounds, partition_by=[], split_customer_type=false, bands=none
) %}
    {{- return(adapter.dispatch('crm_customers_by_recency', 'crm_warehouse')(
        occasions, dates, lower_bounds, partition_by, split_customer_type, bands
    )) -}}
{% endmacro %}


{% macro default__crm_customers_by_recency(occasions, dates, lower_bounds, partition_by, split_customer_type, bands) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    {%- set lowers = lower_bounds | map('int') | list -%}
    {%- if lowers | length == 0 or lowers[0] != 0 -%}
        {{ exceptions.raise_compiler_error("crm_customers_by_recency: lower_bounds must start with 0, got " ~ lowers) }}
    {%- endif -%}
    {%- set band_indexes = range(lowers | length) | list if bands is none else bands | map('int') | list -%}
    {%- for index in band_indexes -%}
        {%- if index < 0 or index >= lowers | length -%}
            {{ exceptions.raise_compiler_error(
                "crm_customers_by_recency: band " ~ index ~ " is not one of the " ~ lowers | length ~ " bands of " ~ lowers
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if band_indexes | length == 0 -%}
        {{ exceptions.raise_compiler_error("crm_customers_by_recency: bands is empty") }}
    {%- endif -%}
    {%- set type_column = ['customer_type'] if split_customer_type else [] -%}
    {%- set group_columns = parts + ['band_index', 'lower_days', 'upper_days'] + type_column -%}
    with

    recency__bands as (
        {%- for index in band_indexes %}
        select
            {{ index }} as band_index,
            {{ lowers[index] }} as lower_days,
            {% if index == lowers | length - 1 %}cast(null as int){% else %}{{ lowers[index + 1] }}{% endif %} as upper_days
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ),

    recency__spans as (
        select
            {% for column in parts -%}
            recency__occasions.{{ column }},
            {% endfor -%}
            recency__bands.band_index,
            recency__bands.lower_days,
            recency__bands.upper_days,
            case when recency__occasions.occasion_number = 1 then 'new' else 'returning' end as customer_type,
            cast({{ dbt.dateadd('day', 'recency__bands.lower_days', 'recency__occasions.purchase_date') }} as date)
                as span_start,
            case
                when recency__bands.upper_days is null
                    then recency__occasions.next_purchase_date
                when recency__occasions.next_purchase_date is null
                    then cast(
                        {{ dbt.dateadd('day', 'recency__bands.upper_days', 'recency__occasions.purchase_date') }}
                        as date
                    )
                when
                    recency__occasions.next_purchase_date
                    < cast(
                        {{ dbt.dateadd('day', 'recency__bands.upper_days', 'recency__occasions.purchase_date') }}
                        as date
                    )
                    then recency__occasions.next_purchase_date
                else cast(
                    {{ dbt.dateadd('day', 'recency__bands.upper_days', 'recency__occasions.purchase_date') }}
                    as date
                )
            end as span_end
        from {{ occasions }} as recency__occasions
        cross join recency__bands
    ),

    recency__changes as (
        select
            {% for column in group_columns -%}
            {{ column }},
            {% endfor -%}
            span_start as change_date,
            1 as customers_change
        from recency__spans
        where span_end is null or span_start < span_end
        union all
        select
            {% for column in group_columns -%}
            {{ column }},
            {% endfor -%}
            span_end as change_date,
            -1 as customers_change
        from recency__spans
        where span_end is not null and span_start < span_end
    ),

    recency__daily_changes as (
        select
            {% for column in group_columns -%}
            {{ column }},
            {% endfor -%}
            change_date,
            sum(customers_change) as customers_change
        from recency__changes
        group by
            {% for column in group_columns -%}
            {{ column }},
            {% endfor -%}
            change_date
    ),

    recency__counted as (
        select
            {% for column in group_columns -%}
            recency__daily_changes.{{ column }},
            {% endfor -%}
            recency__dates.at_date,
            cast(sum(recency__daily_changes.customers_change) as bigint) as customers
        from recency__daily_changes
        inner join (select distinct at_date from {{ dates }}) as recency__dates
            on recency__daily_changes.change_date <= recency__dates.at_date
        group by
            {% for column in group_columns -%}
            recency__daily_changes.{{ column }},
            {% endfor -%}
            recency__dates.at_date
    )

    select * from recency__counted
    where customers <> 0
{%- endmacro %}
