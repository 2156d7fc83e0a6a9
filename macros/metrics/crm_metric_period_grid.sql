{#-
    The periods a period metric reports on: a select of ([partition_by...],
    period_start, period_end) with every period of `grain` from the period holding the
    partition's first occasion to the period holding as_of_date (periods without
    occasions included). `occasions` is the occasion grain (crm_purchase_occasions).
-#}
{% macro crm_metric_period_grid(occasions, grain, partition_by=[], as_of_date=none) %}
    {{- return(adapter.dispatch('crm_metric_period_grid', 'crm_warehouse')(
        occasions, grain, partition_by, as_of_date
    )) -}}
{% endmacro %}


{% macro default__crm_metric_period_grid(occasions, grain, partition_by, as_of_date) %}
    {%- set metric = crm_metric_setup(partition_by, as_of_date) -%}
    select
        {% for column in metric.parts -%}
        grid__partitions.{{ column }},
        {% endfor -%}
        grid__periods.period_start,
        grid__periods.period_end
    from (
        select
            {{ metric.part_keys }}{{ crm_period_start(grain, 'min(purchase_date)') }} as first_period_start
        from {{ occasions }}
        {%- if metric.parts %}
        group by {{ metric.parts | join(', ') }}
        {%- endif %}
    ) as grid__partitions
    inner join (
        {{ crm_period_spine(grain, '(select min(purchase_date) from ' ~ occasions ~ ')', metric.as_of) | indent(8) }}
    ) as grid__periods
        on grid__partitions.first_period_start <= grid__periods.period_start
{%- endmacro %}
