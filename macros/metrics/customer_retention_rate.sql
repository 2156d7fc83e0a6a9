{#-
    Retention rate (客户保持率, docs/definitions.md#cohorts-and-retention) on the occasion
    grain (crm_purchase_occasions, e.g. int_purchase_occasions_grouped): for each period P of `period_grain`, base = the customers with >= 1
    occasion in P, each from the date of their last occasion in P; retained(N) = base
    customers with another occasion within N days after that date (occasions after
    as_of_date do not count). One row per period (first occasion's period to the
    period holding as_of_date) x customer_type ('all', plus 'new' = the customer's
    first occasion ever falls in P and 'returning' when split_customer_type) x window
    N in `windows` (default var customer_retention_window_days). is_complete = P's
    end + N <= as_of_date (every base customer had the full N days). Columns:
    partition columns, period_grain, period_start, period_end, customer_type,
    window_days, base_customers, retained_customers, retention_rate, is_complete.
-#}
{% macro customer_retention_rate(
    occasions,
    period_grain='month',
    windows=none,
    split_customer_type=true,
    partition_by=[],
    as_of_date=none
) %}
    {{- return(adapter.dispatch('customer_retention_rate', 'crm_warehouse')(
        occasions, period_grain, windows, split_customer_type, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__customer_retention_rate(occasions, period_grain, windows, split_customer_type, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    {%- set parts, part_keys, as_of = metric.parts, metric.part_keys, metric.as_of -%}
    {%- if windows is none -%}
        {%- set windows = var('customer_retention_window_days') -%}
    {%- endif -%}
    {%- set windows = crm_metric_int_list(windows, 'customer_retention_rate: windows', minimum=1) -%}
    {%- set types = ['all', 'new', 'returning'] if split_customer_type else ['all'] -%}
    with

    customer_retention__periods as (
        {{ crm_metric_period_grid(occasions, period_grain, parts, as_of) | indent(8) }}
    ),

    customer_retention__windows as (
        {%- for window in windows %}
        select {{ window }} as window_days
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ),

    customer_retention__types as (
        {%- for customer_type in types %}
        select '{{ customer_type }}' as customer_type
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ),

    {#- next_purchase_date grows with purchase_date: its maximum over the period is the
        next occasion after the period's last one when it is later than that (the next
        of an earlier occasion in the period is never later than the last one). -#}
    customer_retention__customer_periods as (
        select
            {{ part_keys }}customer_id,
            {{ crm_period_start(period_grain, 'purchase_date') }} as period_start,
            max(purchase_date) as last_purchase_date,
            max(next_purchase_date) as max_next_purchase_date,
            min(occasion_number) as first_occasion_number
        from {{ occasions }}
        group by
            {{ part_keys }}customer_id,
            {{ crm_period_start(period_grain, 'purchase_date') }}
    ),

    customer_retention__returns as (
        select
            {{ part_keys }}period_start,
            case when first_occasion_number = 1 then 'new' else 'returning' end as customer_type,
            case
                when max_next_purchase_date > last_purchase_date
                    then {{ dbt.datediff('last_purchase_date', 'max_next_purchase_date', 'day') }}
            end as days_to_next
        from customer_retention__customer_periods
    ),

    customer_retention__typed as (
        select
            {{ part_keys }}period_start,
            'all' as customer_type,
            days_to_next
        from customer_retention__returns
        {%- if split_customer_type %}
        union all
        select
            {{ part_keys }}period_start,
            customer_type,
            days_to_next
        from customer_retention__returns
        {%- endif %}
    ),

    customer_retention__counted as (
        select
            {% for column in parts -%}
            customer_retention__typed.{{ column }},
            {% endfor -%}
            customer_retention__typed.period_start,
            customer_retention__typed.customer_type,
            customer_retention__windows.window_days,
            cast(count(*) as {{ dbt.type_bigint() }}) as base_customers,
            cast(sum(
                case when customer_retention__typed.days_to_next <= customer_retention__windows.window_days then 1 else 0 end
            ) as {{ dbt.type_bigint() }}) as retained_customers
        from customer_retention__typed
        cross join customer_retention__windows
        group by
            {% for column in parts -%}
            customer_retention__typed.{{ column }},
            {% endfor -%}
            customer_retention__typed.period_start,
            customer_retention__typed.customer_type,
            customer_retention__windows.window_days
    ),

    customer_retention__grid as (
        select
            customer_retention__periods.*,
            customer_retention__types.customer_type,
            customer_retention__windows.window_days
        from customer_retention__periods
        cross join customer_retention__types
        cross join customer_retention__windows
    ),

    customer_retention__final as (
        select
            {% for column in parts -%}
            customer_retention__grid.{{ column }},
            {% endfor -%}
            '{{ period_grain }}' as period_grain,
            customer_retention__grid.period_start,
            customer_retention__grid.period_end,
            customer_retention__grid.customer_type,
            customer_retention__grid.window_days,
            coalesce(customer_retention__counted.base_customers, 0) as base_customers,
            coalesce(customer_retention__counted.retained_customers, 0) as retained_customers,
            cast(customer_retention__counted.retained_customers as double)
            / nullif(customer_retention__counted.base_customers, 0) as retention_rate,
            {{ dbt.datediff('customer_retention__grid.period_end', as_of, 'day') }}
            >= customer_retention__grid.window_days as is_complete
        from customer_retention__grid
        left join customer_retention__counted
            on
                {% for column in parts -%}
                customer_retention__grid.{{ column }} = customer_retention__counted.{{ column }} and
                {% endfor -%}
                customer_retention__grid.period_start = customer_retention__counted.period_start
                and customer_retention__grid.customer_type = customer_retention__counted.customer_type
                and customer_retention__grid.window_days = customer_retention__counted.window_days
    )

    select * from customer_retention__final
{%- endmacro %}
