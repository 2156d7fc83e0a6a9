{#-
    Reactivation rate (docs/definitions.md#rates) on the occasion grain
    (crm_purchase_occasions, e.g. int_purchase_occasions_grouped).
    For a period P starting on s: customers_at_start = customers whose lifecycle stage
    as of s - 1 is S (crm_lifecycle_stage of recency = (s - 1) - their latest occasion
    on or before s - 1; customers without one are prospects and are not counted);
    purchasers = those of them with >= 1 occasion in P; reactivation_rate = purchasers /
    customers_at_start (null when nobody is in S). S = sleeping is the wake-up rate,
    S = lost the win-back rate.
    One row per period of `period_grain` from the first occasion's period to the period
    holding as_of_date x from_stage (every lifecycle stage, or those in `from_stages`).
    Columns: partition columns, period_grain, period_start, period_end, from_stage,
    customers_at_start, purchasers, reactivation_rate, is_complete.
-#}
{% macro reactivation_rate(
    occasions,
    period_grain='month',
    from_stages=none,
    partition_by=[],
    as_of_date=none
) %}
    {{- return(adapter.dispatch('reactivation_rate', 'crm_warehouse')(
        occasions, period_grain, from_stages, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__reactivation_rate(occasions, period_grain, from_stages, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    {%- set parts = metric.parts -%}
    {%- set stage_names = crm_lifecycle_stage_names() -%}
    {%- set stages = stage_names if from_stages is none
        else ([from_stages] if from_stages is string else from_stages) | list -%}
    {%- for stage in stages -%}
        {%- if stage not in stage_names -%}
            {{ exceptions.raise_compiler_error(
                "reactivation_rate: unknown from_stage '" ~ stage ~ "', expected one of " ~ stage_names
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set part_keys = metric.part_keys -%}
    with

    reactivation__grid as (
        select
            reactivation__periods.*,
            reactivation__stages.from_stage
        from (
            {{ crm_metric_period_grid(occasions, period_grain, parts, metric.as_of) | indent(12) }}
        ) as reactivation__periods
        cross join (
            {%- for stage in stages %}
            select '{{ stage }}' as from_stage
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- endfor %}
        ) as reactivation__stages
    ),

    reactivation__period_eves as (
        select distinct
            period_start,
            cast({{ dbt.dateadd('day', -1, 'period_start') }} as date) as at_date
        from reactivation__grid
    ),

    reactivation__by_recency as (
        {#- Only the bands of the stages measured. #}
        {%- set band_indexes = [] %}
        {%- for stage in stages %}
        {%- do band_indexes.append(stage_names.index(stage)) %}
        {%- endfor %}
        {{ crm_customers_by_recency(
            occasions, 'reactivation__period_eves', [0] + crm_lifecycle_boundaries(), parts,
            bands=band_indexes | unique | sort
        ) | indent(8) }}
    ),

    reactivation__at_start as (
        select
            {% for column in parts -%}
            reactivation__by_recency.{{ column }},
            {% endfor -%}
            reactivation__period_eves.period_start,
            {{ crm_lifecycle_stage('reactivation__by_recency.lower_days') }} as from_stage,
            reactivation__by_recency.customers as customers_at_start
        from reactivation__by_recency
        inner join reactivation__period_eves
            on reactivation__by_recency.at_date = reactivation__period_eves.at_date
    ),

    {#- The first occasion of a customer in a period is the one whose previous occasion
        falls before the period; the stage at the period's eve follows from that date. -#}
    reactivation__purchasers as (
        select
            {{ part_keys }}period_start,
            {{ crm_lifecycle_stage(dbt.datediff(
                'previous_purchase_date', dbt.dateadd('day', -1, 'period_start'), 'day'
            )) }} as from_stage,
            cast(count(*) as bigint) as purchasers
        from (
            select
                {{ part_keys }}previous_purchase_date,
                {{ crm_period_start(period_grain, 'purchase_date') }} as period_start
            from {{ occasions }}
            where previous_purchase_date is not null
        ) as reactivation__period_occasions
        where previous_purchase_date < period_start
        group by
            {{ part_keys }}period_start,
            {{ crm_lifecycle_stage(dbt.datediff(
                'previous_purchase_date', dbt.dateadd('day', -1, 'period_start'), 'day'
            )) }}
    ),

    reactivation__final as (
        select
            {% for column in parts -%}
            reactivation__grid.{{ column }},
            {% endfor -%}
            '{{ period_grain }}' as period_grain,
            reactivation__grid.period_start,
            reactivation__grid.period_end,
            reactivation__grid.from_stage,
            coalesce(reactivation__at_start.customers_at_start, 0) as customers_at_start,
            coalesce(reactivation__purchasers.purchasers, 0) as purchasers,
            cast(coalesce(reactivation__purchasers.purchasers, 0) as double)
            / nullif(reactivation__at_start.customers_at_start, 0) as reactivation_rate,
            reactivation__grid.period_end <= {{ metric.as_of }} as is_complete
        from reactivation__grid
        left join reactivation__at_start
            on
                {% for column in parts -%}
                reactivation__grid.{{ column }} = reactivation__at_start.{{ column }} and
                {% endfor -%}
                reactivation__grid.period_start = reactivation__at_start.period_start
                and reactivation__grid.from_stage = reactivation__at_start.from_stage
        left join reactivation__purchasers
            on
                {% for column in parts -%}
                reactivation__grid.{{ column }} = reactivation__purchasers.{{ column }} and
                {% endfor -%}
                reactivation__grid.period_start = reactivation__purchasers.period_start
                and reactivation__grid.from_stage = reactivation__purchasers.from_stage
    )

    select * from reactivation__final
{%- endmacro %}
