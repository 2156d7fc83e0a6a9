{#-
    Trailing-window repurchase rate (docs/definitions.md#rates) on the occasion grain
    (crm_purchase_occasions, e.g. int_purchase_occasions_grouped): at each date d,
    among customers with >= 1 occasion in [d - window_days + 1, d], the share with >= 2
    there. Dates: column at_date of relation `at_dates`, default the last day of every
    period of `period_grain` from the first occasion's period to the period holding
    as_of_date. Columns: partition columns, at_date, window_days, buyers,
    repeat_buyers, repurchase_rate. Computed from +1 / -1 changes at occasion dates,
    never from a customer x date spine.
-#}
{% macro trailing_repurchase_rate(
    occasions,
    window_days,
    at_dates=none,
    period_grain='month',
    partition_by=[],
    as_of_date=none
) %}
    {{- return(adapter.dispatch('trailing_repurchase_rate', 'crm_warehouse')(
        occasions, window_days, at_dates, period_grain, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__trailing_repurchase_rate(occasions, window_days, at_dates, period_grain, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    {%- if window_days is none or (window_days | int) < 1 -%}
        {{ exceptions.raise_compiler_error("trailing_repurchase_rate: window_days must be >= 1, got " ~ window_days) }}
    {%- endif -%}
    {%- set days = window_days | int -%}
    with

    {%- if at_dates is none %}

    repurchase__grid as (
        select
            {{ metric.part_keys }}period_end as at_date
        from (
            {{ crm_metric_period_grid(occasions, period_grain, metric.parts, metric.as_of) | indent(12) }}
        ) as repurchase__periods
    ),

    repurchase__dates as (
        select distinct at_date
        from repurchase__grid
    ),
    {%- else %}

    repurchase__dates as (
        select distinct cast(at_date as date) as at_date
        from {{ at_dates }}
    ),

    repurchase__grid as (
        select
            {% for column in metric.parts -%}
            repurchase__partitions.{{ column }},
            {% endfor -%}
            repurchase__dates.at_date
        from (
            select distinct {{ metric.part_keys }}1 as has_occasions
            from {{ occasions }}
        ) as repurchase__partitions
        cross join repurchase__dates
    ),
    {%- endif %}

    {#- An occasion is the customer's latest from its date to the day before the next
        one. Meanwhile the customer is a buyer at d while d < purchase_date + N, and a
        repeat buyer while d < previous_purchase_date + N. -#}
    repurchase__spans as (
        select
            {{ metric.part_keys }}purchase_date as span_start,
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
        from {{ occasions }}
    ),

    repurchase__changes as (
        select
            {{ metric.part_keys }}span_start as change_date,
            1 as buyer_change,
            case when repeat_end > span_start then 1 else 0 end as repeat_change
        from repurchase__spans
        union all
        select
            {{ metric.part_keys }}buyer_end as change_date,
            -1 as buyer_change,
            0 as repeat_change
        from repurchase__spans
        union all
        select
            {{ metric.part_keys }}repeat_end as change_date,
            0 as buyer_change,
            -1 as repeat_change
        from repurchase__spans
        where repeat_end > span_start
    ),

    repurchase__daily_changes as (
        select
            {{ metric.part_keys }}change_date,
            sum(buyer_change) as buyer_change,
            sum(repeat_change) as repeat_change
        from repurchase__changes
        group by {{ metric.part_keys }}change_date
    ),

    repurchase__counted as (
        select
            {% for column in metric.parts -%}
            repurchase__daily_changes.{{ column }},
            {% endfor -%}
            repurchase__dates.at_date,
            cast(sum(repurchase__daily_changes.buyer_change) as bigint) as buyers,
            cast(sum(repurchase__daily_changes.repeat_change) as bigint) as repeat_buyers
        from repurchase__daily_changes
        inner join repurchase__dates
            on repurchase__daily_changes.change_date <= repurchase__dates.at_date
        group by
            {% for column in metric.parts -%}
            repurchase__daily_changes.{{ column }},
            {% endfor -%}
            repurchase__dates.at_date
    ),

    repurchase__final as (
        select
            {% for column in metric.parts -%}
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
                {% for column in metric.parts -%}
                repurchase__grid.{{ column }} = repurchase__counted.{{ column }} and
                {% endfor -%}
                repurchase__grid.at_date = repurchase__counted.at_date
    )

    select * from repurchase__final
{%- endmacro %}
