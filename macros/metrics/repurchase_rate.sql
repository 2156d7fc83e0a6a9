{#-
    Repurchase rate on any relation of purchases or occasions (docs/definitions.md#rates):
    among customers with >= 1 occasion in a period, the share with >= 2 in it.

    Period mode (window_days none): one row per period of `period_grain` from the
    first occasion's period to the period holding as_of_date (periods without buyers
    included: buyers 0, rate null) x customer_type: 'all', plus 'new' (the customer's
    first occasion falls in the period) and 'returning' (it falls before) when
    split_customer_type. Columns: partition columns, period_grain, period_start,
    period_end, customer_type, buyers, repeat_buyers, repurchase_rate, is_complete.

    Trailing-window mode (window_days = N): at each date d, among customers with >= 1
    occasion in [d - N + 1, d], the share with >= 2 there. Dates: column at_date of
    relation `at_dates`, default the last day of every period of period_grain (as
    above). Columns: partition columns, at_date, window_days, buyers, repeat_buyers,
    repurchase_rate. Computed from +1 / -1 changes at occasion dates, never from a
    customer x date spine.
-#}
{% macro repurchase_rate(
    relation,
    period_grain='month',
    window_days=none,
    at_dates=none,
    split_customer_type=false,
    partition_by=[],
    customer_column='customer_id',
    date_column='purchase_date',
    as_of_date=none,
    prepared=false
) %}
    {{- return(adapter.dispatch('repurchase_rate', 'crm_warehouse')(
        relation, period_grain, window_days, at_dates, split_customer_type, partition_by,
        customer_column, date_column, as_of_date, prepared
    )) -}}
{% endmacro %}


{% macro default__repurchase_rate(
    relation, period_grain, window_days, at_dates, split_customer_type, partition_by,
    customer_column, date_column, as_of_date, prepared
) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    {%- set as_of = as_of_date if as_of_date is not none else crm_as_of_date_legacy() -%}
    {%- set part_keys -%}
        {%- for column in parts %}{{ column }}, {% endfor -%}
    {%- endset -%}
    {%- if window_days is not none and (window_days | int) < 1 -%}
        {{ exceptions.raise_compiler_error("repurchase_rate: window_days must be >= 1, got " ~ window_days) }}
    {%- endif -%}
    with

    repurchase__occasions as (
        {{ crm_metric_occasions(
            relation, customer_column, date_column, none, none, parts, as_of, prepared
        ) | indent(8) }}
    ),

    repurchase__periods as (
        {{ crm_period_spine(
            period_grain, '(select min(purchase_date) from repurchase__occasions)', as_of
        ) | indent(8) }}
    ),

    repurchase__partitions as (
        select
            {{ part_keys }}{{ crm_period_start(period_grain, 'min(purchase_date)') }} as first_period_start
        from repurchase__occasions
        {%- if parts %}
        group by {{ parts | join(', ') }}
        {%- endif %}
    ),

{%- if window_days is none %}
    {%- set types = ['all', 'new', 'returning'] if split_customer_type else ['all'] %}

    repurchase__grid as (
        select
            {% for column in parts -%}
            repurchase__partitions.{{ column }},
            {% endfor -%}
            repurchase__periods.period_start,
            repurchase__periods.period_end,
            repurchase__types.customer_type
        from repurchase__partitions
        inner join repurchase__periods
            on repurchase__partitions.first_period_start <= repurchase__periods.period_start
        cross join (
            {%- for customer_type in types %}
            select '{{ customer_type }}' as customer_type
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- endfor %}
        ) as repurchase__types
    ),

    repurchase__customer_periods as (
        select
            {{ part_keys }}customer_id,
            {{ crm_period_start(period_grain, 'purchase_date') }} as period_start,
            count(*) as occasions_count,
            min(occasion_number) as first_occasion_number
        from repurchase__occasions
        group by
            {{ part_keys }}customer_id,
            {{ crm_period_start(period_grain, 'purchase_date') }}
    ),

    repurchase__typed as (
        select
            {{ part_keys }}period_start,
            'all' as customer_type,
            occasions_count
        from repurchase__customer_periods
        {%- if split_customer_type %}
        union all
        select
            {{ part_keys }}period_start,
            case when first_occasion_number = 1 then 'new' else 'returning' end as customer_type,
            occasions_count
        from repurchase__customer_periods
        {%- endif %}
    ),

    repurchase__counted as (
        select
            {{ part_keys }}period_start,
            customer_type,
            cast(count(*) as bigint) as buyers,
            cast(sum(case when occasions_count >= 2 then 1 else 0 end) as bigint) as repeat_buyers
        from repurchase__typed
        group by {{ part_keys }}period_start, customer_type
    ),

    repurchase__final as (
        select
            {% for column in parts -%}
            repurchase__grid.{{ column }},
            {% endfor -%}
            '{{ period_grain }}' as period_grain,
            repurchase__grid.period_start,
            repurchase__grid.period_end,
            repurchase__grid.customer_type,
            coalesce(repurchase__counted.buyers, 0) as buyers,
            coalesce(repurchase__counted.repeat_buyers, 0) as repeat_buyers,
            cast(repurchase__counted.repeat_buyers as double)
            / nullif(repurchase__counted.buyers, 0) as repurchase_rate,
            repurchase__grid.period_end <= {{ as_of }} as is_complete
        from repurchase__grid
        left join repurchase__counted
            on
                {% for column in parts -%}
                repurchase__grid.{{ column }} = repurchase__counted.{{ column }} and
                {% endfor -%}
                repurchase__grid.period_start = repurchase__counted.period_start
                and repurchase__grid.customer_type = repurchase__counted.customer_type
    )

{%- else %}
    {%- set days = window_days | int %}

    repurchase__dates as (
        {%- if at_dates is none %}
        select period_end as at_date
        from repurchase__periods
        {%- else %}
        select distinct cast(at_date as date) as at_date
        from {{ at_dates }}
        {%- endif %}
    ),

    repurchase__grid as (
        select
            {% for column in parts -%}
            repurchase__partitions.{{ column }},
            {% endfor -%}
            repurchase__dates.at_date
        from repurchase__partitions
        {%- if at_dates is none %}
        inner join repurchase__dates
            on repurchase__partitions.first_period_start <= repurchase__dates.at_date
        {%- else %}
        cross join repurchase__dates
        {%- endif %}
    ),

    {#- An occasion is the customer's latest from its date to the day before the next
        one. Meanwhile the customer is a buyer at d while d < purchase_date + N, and a
        repeat buyer while d < previous_purchase_date + N. -#}
    repurchase__spans as (
        select
            {{ part_keys }}purchase_date as span_start,
            case
                when next_purchase_date is null
                    or next_purchase_date > cast({{ dbt.dateadd('day', days, 'purchase_date') }} as date)
                    then cast({{ dbt.dateadd('day', days, 'purchase_date') }} as date)
                else next_purchase_date
            end as buyer_end,
            {#- coalesce: never hand a null date to dateadd (Spark's dateadd asserts not null) -#}
            case
                when previous_purchase_date is null then null
                when next_purchase_date is null
                    or next_purchase_date
                    > cast({{ dbt.dateadd('day', days, 'coalesce(previous_purchase_date, purchase_date)') }} as date)
                    then cast({{ dbt.dateadd('day', days, 'coalesce(previous_purchase_date, purchase_date)') }} as date)
                else next_purchase_date
            end as repeat_end
        from repurchase__occasions
    ),

    repurchase__changes as (
        select
            {{ part_keys }}span_start as change_date,
            1 as buyer_change,
            case when repeat_end > span_start then 1 else 0 end as repeat_change
        from repurchase__spans
        union all
        select
            {{ part_keys }}buyer_end as change_date,
            -1 as buyer_change,
            0 as repeat_change
        from repurchase__spans
        union all
        select
            {{ part_keys }}repeat_end as change_date,
            0 as buyer_change,
            -1 as repeat_change
        from repurchase__spans
        where repeat_end > span_start
    ),

    repurchase__daily_changes as (
        select
            {{ part_keys }}change_date,
            sum(buyer_change) as buyer_change,
            sum(repeat_change) as repeat_change
        from repurchase__changes
        group by {{ part_keys }}change_date
    ),

    repurchase__counted as (
        select
            {% for column in parts -%}
            repurchase__daily_changes.{{ column }},
            {% endfor -%}
            repurchase__dates.at_date,
            cast(sum(repurchase__daily_changes.buyer_change) as bigint) as buyers,
            cast(sum(repurchase__daily_changes.repeat_change) as bigint) as repeat_buyers
        from repurchase__daily_changes
        inner join repurchase__dates
            on repurchase__daily_changes.change_date <= repurchase__dates.at_date
        group by
            {% for column in parts -%}
            repurchase__daily_changes.{{ column }},
            {% endfor -%}
            repurchase__dates.at_date
    ),

    repurchase__final as (
        select
            {% for column in parts -%}
            repurchase__grid.{{ column }},
            {% endfor -%}
            repurchase__grid.at_date,
            {{ days }} as window_days,
            coalesce(repurchase__counted.buyers, 0) as buyers,
            coalesce(repurchase__counted.repeat_buyers, 0) as repeat_buyers,
            cast(repurchase__counted.repeat_buyers as double)
            / nullif(repurchase__counted.buyers, 0) as repurchase_rate
        from repurchase__grid
        left join repurchase__counted
            on
                {% for column in parts -%}
                repurchase__grid.{{ column }} = repurchase__counted.{{ column }} and
                {% endfor -%}
                repurchase__grid.at_date = repurchase__counted.at_date
    )

{%- endif %}

    select * from repurchase__final
{%- endmacro %}
