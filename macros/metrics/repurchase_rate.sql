{#-
    Repurchase rate per period (docs/definitions.md#rates) on the occasion grain
    (crm_purchase_occasions, e.g. int_purchase_occasions_grouped): among customers with
    >= 1 occasion in a period, the share with >= 2 in it. One row per period of
    `period_grain` from the first occasion's period to the period holding as_of_date
    (periods without buyers included: buyers 0, rate null) x customer_type: 'all',
    plus 'new' (the customer's first occasion falls in the period) and 'returning' (it
    falls before) when split_customer_type. Columns: partition columns, period_grain,
    period_start, period_end, customer_type, buyers, repeat_buyers, repurchase_rate,
    is_complete. (The trailing-window rate is trailing_repurchase_rate.)
-#}
{% macro repurchase_rate(
    occasions,
    period_grain='month',
    split_customer_type=false,
    partition_by=[],
    as_of_date=none
) %}
    {{- return(adapter.dispatch('repurchase_rate', 'crm_warehouse')(
        occasions, period_grain, split_customer_type, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__repurchase_rate(occasions, period_grain, split_customer_type, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    {%- set types = ['all', 'new', 'returning'] if split_customer_type else ['all'] -%}
    with

    repurchase__grid as (
        select
            repurchase__periods.*,
            repurchase__types.customer_type
        from (
            {{ crm_metric_period_grid(occasions, period_grain, metric.parts, metric.as_of) | indent(12) }}
        ) as repurchase__periods
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
            {{ metric.part_keys }}customer_id,
            {{ crm_period_start(period_grain, 'purchase_date') }} as period_start,
            count(*) as occasions_count,
            min(occasion_number) as first_occasion_number
        from {{ occasions }}
        group by
            {{ metric.part_keys }}customer_id,
            {{ crm_period_start(period_grain, 'purchase_date') }}
    ),

    repurchase__typed as (
        select
            {{ metric.part_keys }}period_start,
            'all' as customer_type,
            occasions_count
        from repurchase__customer_periods
        {%- if split_customer_type %}
        union all
        select
            {{ metric.part_keys }}period_start,
            case when first_occasion_number = 1 then 'new' else 'returning' end as customer_type,
            occasions_count
        from repurchase__customer_periods
        {%- endif %}
    ),

    repurchase__counted as (
        select
            {{ metric.part_keys }}period_start,
            customer_type,
            cast(count(*) as bigint) as buyers,
            cast(sum(case when occasions_count >= 2 then 1 else 0 end) as bigint) as repeat_buyers
        from repurchase__typed
        group by {{ metric.part_keys }}period_start, customer_type
    ),

    repurchase__final as (
        select
            {% for column in metric.parts -%}
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
            repurchase__grid.period_end <= {{ metric.as_of }} as is_complete
        from repurchase__grid
        left join repurchase__counted
            on
                {% for column in metric.parts -%}
                repurchase__grid.{{ column }} = repurchase__counted.{{ column }} and
                {% endfor -%}
                repurchase__grid.period_start = repurchase__counted.period_start
                and repurchase__grid.customer_type = repurchase__counted.customer_type
    )

    select * from repurchase__final
{%- endmacro %}
