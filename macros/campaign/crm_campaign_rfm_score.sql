{#-
    RFM score of `value` for `dimension` (recency | frequency | monetary) within
    each partition (e.g. one RFM snapshot per campaign), with the rules of
    crm_rfm_score (macros/customer/rfm_score.sql, docs/definitions.md#customer-state):
        score = least(bins, 1 + floor(bins * percent_rank() over (partition by ... order by value)))
    ordered by recency descending; fixed thresholds (var rfm_<dimension>_thresholds)
    need no window and are delegated to crm_rfm_score unchanged. crm_rfm_score has
    no partition argument yet; once it has one this macro can simply call it.
-#}
{% macro crm_campaign_rfm_score(value, dimension, partition_by) %}
    {{- return(adapter.dispatch('crm_campaign_rfm_score', 'crm_warehouse')(value, dimension, partition_by)) -}}
{% endmacro %}


{% macro default__crm_campaign_rfm_score(value, dimension, partition_by) %}
    {%- if dimension not in ('recency', 'frequency', 'monetary') -%}
        {{ exceptions.raise_compiler_error("crm_campaign_rfm_score: unknown dimension '" ~ dimension ~ "'") }}
    {%- endif -%}
    {%- set parts = [partition_by] if partition_by is string else partition_by | list -%}
    {%- if crm_rfm_thresholds(dimension) is not none -%}
        {{ crm_rfm_score(value, dimension) }}
    {%- else -%}
        {%- set bins = crm_rfm_bins() -%}
        cast(least(
            {{ bins }},
            1 + floor({{ bins }} * percent_rank() over (
                partition by {{ parts | join(', ') }}
                order by {{ value }}{{ ' desc' if dimension == 'recency' }}
            ))
        ) as {{ dbt.type_int() }})
    {%- endif -%}
{% endmacro %}
