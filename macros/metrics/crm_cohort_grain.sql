{% macro crm_cohort_grain() %}
    {#-
        The cohort period (var cohort_grain) the cohort marts group by, checked: week,
        month or quarter; anything else stops the build with a message naming the var.
    -#}
    {%- set cohort_grain = var('cohort_grain') -%}
    {%- if cohort_grain not in ['week', 'month', 'quarter'] -%}
        {{ exceptions.raise_compiler_error(
            "var cohort_grain = '" ~ cohort_grain ~ "' is not supported: use week, month or quarter."
        ) }}
    {%- endif -%}
    {{ return(cohort_grain) }}
{% endmacro %}


{% macro crm_cohort_matrix_columns() %}
    {#- The select list of the cohort marts over crm_cohort_retention_matrix, in
        contract order (cohort_retention; the split marts put their column first). -#}
    {{- return('''cohort_start,
        cast(period_number as int) as period_number,
        cohort_size,
        active_customers,
        retention_rate,
        orders_count,
        revenue,
        cumulative_revenue_per_customer,
        is_complete,
        cohort_grain,
        period_start,
        period_end''') -}}
{% endmacro %}


{% macro crm_cohort_retention_split(occasions, customers, dimension) %}
    {#-
        A select: the cohort retention matrix (crm_cohort_retention_matrix over the
        occasion grain `occasions`, var cohort_grain) split by a per-customer column of
        `customers` (int_customers_cohorted), e.g. acquisition_channel or first_store_id.
        Both are relations the calling model imports. Columns: the dimension, then those
        of cohort_retention.
    -#}
    with

    split__occasions as (
        select
            {{ occasions }}.customer_id,
            {{ occasions }}.purchase_date,
            {{ occasions }}.orders_count,
            {{ occasions }}.net_amount,
            {{ occasions }}.occasion_number,
            {{ occasions }}.previous_purchase_date,
            {{ occasions }}.next_purchase_date,
            {{ customers }}.{{ dimension }}
        from {{ occasions }}
        inner join {{ customers }}
            on {{ occasions }}.customer_id = {{ customers }}.customer_id
    ),

    split__matrix as (
        {{ crm_cohort_retention_matrix('split__occasions', crm_cohort_grain(), [dimension]) | indent(8) }}
    )

    select
        {{ dimension }},
        {{ crm_cohort_matrix_columns() }}
    from split__matrix
{%- endmacro %}
