{#-
    RFM scores (docs/definitions.md#customer-state). Quantile rule by default:
        score = least(bins, 1 + floor(bins * percent_rank() over (order by value)))
    ascending for frequency and monetary, by recency_days descending for recency
    (most recent = highest); ties always share a score. A fixed-threshold list in
    var rfm_<dimension>_thresholds (bins - 1 ascending cut points) replaces it:
        score = 1 + number of cut points <= value            (frequency, monetary)
        score = bins - number of cut points <= recency_days  (recency)
    partition_by (optional) ranks within each partition, e.g. one RFM snapshot per
    campaign; fixed thresholds need no window, so it changes nothing for them.
-#}

{% macro crm_rfm_bins() %}
    {%- set bins = var('rfm_bins', 5) -%}
    {%- if not modules.re.match('^[0-9]+$', bins | string | trim) or (bins | int) < 2 -%}
        {{ exceptions.raise_compiler_error("var rfm_bins must be a whole number >= 2, got " ~ bins) }}
    {%- endif -%}
    {{- return(bins | int) -}}
{% endmacro %}


{% macro crm_rfm_thresholds(dimension) %}
    {#- The fixed cut points of a dimension (recency | frequency | monetary), or none. -#}
    {%- set var_name = 'rfm_' ~ dimension ~ '_thresholds' -%}
    {%- set value = var(var_name, none) -%}
    {%- if value is none or (value is string and (value | trim) in ('', 'none', 'null')) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if value is string -%}
        {%- set value = fromyaml(value) -%}
    {%- endif -%}
    {%- set bins = crm_rfm_bins() -%}
    {%- if value is string or value is mapping or value is not iterable or (value | length) != bins - 1 -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be a list of " ~ (bins - 1) ~ " ascending numbers (rfm_bins = "
            ~ bins ~ "), got " ~ value
        ) }}
    {%- endif -%}
    {%- set cuts = [] -%}
    {%- for item in value -%}
        {%- if item is not number -%}
            {{ exceptions.raise_compiler_error("var " ~ var_name ~ ": '" ~ item ~ "' is not a number.") }}
        {%- endif -%}
        {%- if not loop.first and item <= value[loop.index0 - 1] -%}
            {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must ascend strictly, got " ~ value) }}
        {%- endif -%}
        {%- do cuts.append(item) -%}
    {%- endfor -%}
    {{- return(cuts) -}}
{% endmacro %}


{% macro crm_rfm_score(value, dimension, partition_by=none) %}
    {#- SQL: the score of `value` (a column) for dimension recency | frequency | monetary,
        among all rows of the query or within each partition_by (a column or a list). -#}
    {{- return(adapter.dispatch('crm_rfm_score', 'crm_warehouse')(value, dimension, partition_by)) -}}
{% endmacro %}


{% macro default__crm_rfm_score(value, dimension, partition_by=none) %}
    {%- if dimension not in ('recency', 'frequency', 'monetary') -%}
        {{ exceptions.raise_compiler_error("crm_rfm_score: unknown dimension '" ~ dimension ~ "'") }}
    {%- endif -%}
    {%- set bins = crm_rfm_bins() -%}
    {%- set cuts = crm_rfm_thresholds(dimension) -%}
    {%- set descending = dimension == 'recency' -%}
    {%- set parts = [] if partition_by is none else ([partition_by] if partition_by is string else partition_by | list) -%}
    {%- if cuts is none -%}
        cast(least(
            {{ bins }},
            1 + floor({{ bins }} * percent_rank() over (
                {{- 'partition by ' ~ (parts | join(', ')) ~ ' ' if parts -}}
                order by {{ value }}{{ ' desc' if descending }}))
        ) as {{ dbt.type_int() }})
    {%- else -%}
        cast({{ bins if descending else 1 }} {{ '-' if descending else '+' }} (
            {%- for cut in cuts %}
            case when {{ value }} >= {{ cut }} then 1 else 0 end{{ ' +' if not loop.last }}
            {%- endfor %}
        ) as {{ dbt.type_int() }})
    {%- endif -%}
{% endmacro %}


{% macro crm_rfm_cell_segments(scored, segment_rules) %}
    {#-
        SQL (a query): one row per distinct RFM cell (r_score, f_score, m_score) of
        `scored` with its rfm_segment: the matching rule of `segment_rules` (the
        rfm_segment_rules seed: r/f/m min and max, priority) with the lowest priority,
        ties by segment name. A cell no rule matches has no row (segment null after a
        left join). Shared by customer_rfm and the campaign RFM snapshots.
    -#}
    select
        r_score,
        f_score,
        m_score,
        segment as rfm_segment
    from (
        select
            cells.r_score,
            cells.f_score,
            cells.m_score,
            segment_rules.segment,
            row_number() over (
                partition by cells.r_score, cells.f_score, cells.m_score
                order by segment_rules.priority, segment_rules.segment
            ) as rule_rank
        from (select distinct r_score, f_score, m_score from {{ scored }}) as cells
        inner join {{ segment_rules }} as segment_rules
            on
                cells.r_score between segment_rules.r_min and segment_rules.r_max
                and cells.f_score between segment_rules.f_min and segment_rules.f_max
                and cells.m_score between segment_rules.m_min and segment_rules.m_max
    ) as cell_rules
    where rule_rank = 1
{%- endmacro %}
