{#-
    N-day retention (docs/definitions.md#cohorts-and-retention) on the occasion grain
    (crm_purchase_occasions, e.g. int_purchase_occasions_grouped): one row per cohort
    (period of `cohort_grain` holding the first occasion; none = one cohort,
    cohort_start null) x window N in `windows` (default var retention_window_days).
    eligible_customers = cohort customers with first purchase_date + N <= as_of_date;
      mode='within': retained = eligible with another occasion in (first, first + N];
      mode='exact':  retained = eligible with an occasion on day first + N exactly.
    Columns: partition columns, cohort_start, window_days, eligible_customers,
    retained_customers, retention_rate (null when nobody is eligible), cohort_size,
    is_complete (every cohort customer is eligible).
-#}
{% macro n_day_retention_rate(
    occasions,
    windows=none,
    mode='within',
    cohort_grain=none,
    partition_by=[],
    as_of_date=none
) %}
    {{- return(adapter.dispatch('n_day_retention_rate', 'crm_warehouse')(
        occasions, windows, mode, cohort_grain, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__n_day_retention_rate(occasions, windows, mode, cohort_grain, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    {%- if mode not in ['exact', 'within'] -%}
        {{ exceptions.raise_compiler_error("n_day_retention_rate: mode must be 'exact' or 'within', got '" ~ mode ~ "'") }}
    {%- endif -%}
    {%- set windows = var('retention_window_days') if windows is none else windows -%}
    {%- set windows = crm_metric_int_list(windows, 'n_day_retention_rate: windows') -%}
    with

    retention__customers as (
        {{ crm_metric_cohort_members(occasions, cohort_grain, metric.parts) | indent(8) }}
    ),

    retention__cohorts as (
        select
            {{ metric.part_keys }}cohort_start,
            cast(count(*) as bigint) as cohort_size
        from retention__customers
        group by {{ metric.part_keys }}cohort_start
    ),

    retention__windows as (
        {%- for window in windows %}
        select {{ window }} as window_days
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ),

    {%- if mode == 'exact' %}

    retention__hits as (
        select distinct
            {% for column in metric.parts -%}
            retention__occasions.{{ column }},
            {% endfor -%}
            retention__occasions.customer_id,
            {{ dbt.datediff('retention__customers.first_purchase_date', 'retention__occasions.purchase_date', 'day') }}
                as window_days
        from {{ occasions }} as retention__occasions
        inner join retention__customers
            on
                {% for column in metric.parts -%}
                retention__occasions.{{ column }} = retention__customers.{{ column }} and
                {% endfor -%}
                retention__occasions.customer_id = retention__customers.customer_id
        where
            {{ dbt.datediff('retention__customers.first_purchase_date', 'retention__occasions.purchase_date', 'day') }}
            in ({{ windows | join(', ') }})
    ),

    {%- endif %}

    retention__flagged as (
        select
            {% for column in metric.parts -%}
            retention__customers.{{ column }},
            {% endfor -%}
            retention__customers.cohort_start,
            retention__windows.window_days,
            case
                when {{ dbt.datediff('retention__customers.first_purchase_date', metric.as_of, 'day') }}
                    >= retention__windows.window_days
                    then 1
                else 0
            end as is_eligible,
            {%- if mode == 'within' %}
            case
                when retention__customers.second_purchase_date is not null
                    and {{ dbt.datediff(
                        'retention__customers.first_purchase_date', 'retention__customers.second_purchase_date', 'day'
                    ) }} <= retention__windows.window_days
                    then 1
                else 0
            end as has_returned
            {%- else %}
            case when retention__hits.customer_id is not null then 1 else 0 end as has_returned
            {%- endif %}
        from retention__customers
        cross join retention__windows
        {%- if mode == 'exact' %}
        left join retention__hits
            on
                {% for column in metric.parts -%}
                retention__customers.{{ column }} = retention__hits.{{ column }} and
                {% endfor -%}
                retention__customers.customer_id = retention__hits.customer_id
                and retention__windows.window_days = retention__hits.window_days
        {%- endif %}
    ),

    retention__counted as (
        select
            {{ metric.part_keys }}cohort_start,
            window_days,
            cast(sum(is_eligible) as bigint) as eligible_customers,
            cast(sum(is_eligible * has_returned) as bigint) as retained_customers,
            cast(count(*) as bigint) as cohort_size
        from retention__flagged
        group by {{ metric.part_keys }}cohort_start, window_days
    ),

    retention__final as (
        select
            {{ metric.part_keys }}cohort_start,
            window_days,
            eligible_customers,
            retained_customers,
            cast(retained_customers as double) / nullif(eligible_customers, 0) as retention_rate,
            cohort_size,
            eligible_customers = cohort_size as is_complete
        from retention__counted
    )

    select * from retention__final
{%- endmacro %}
