{#- Lifecycle stage intervals of every customer (and of members while they are
    prospects), as of as_of_date: one row per spell in a (stage, customer_type).
    valid_from and valid_to are inclusive; valid_to is null for the current spell.
    The stage of a customer on day d <= as_of_date is the row with
    valid_from <= d and (valid_to is null or d <= valid_to).
    Incremental on DuckDB (macros/incremental/incremental_scope.sql): a run
    recomputes the intervals of the customers in scope from their own occasions
    and member row (crm_lifecycle_intervals, the logic of
    int_lifecycle_intervals_derived on filtered inputs); a table elsewhere. -#}
{{ config(
    materialized=crm_incremental_materialization(),
    incremental_strategy='crm_customer_scope',
    on_schema_change='fail',
    meta={'crm_incremental': {'customer_column': 'customer_id', 'lifecycle': true}},
    post_hook="{{ crm_incremental_record_state() }}",
) }}
{{- crm_incremental_scope_refs(lifecycle=true) }}
-- depends_on: {{ ref('int_purchase_occasions_grouped') }}, {{ ref('int_members_unioned') }}

with

{% if is_incremental() -%}
scoped_occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
    where {{ crm_incremental_in_scope('customer_id', lifecycle=true) }}
),

scoped_members as (
    select * from {{ ref('int_members_unioned') }}
    where {{ crm_incremental_in_scope('customer_id', lifecycle=true) }}
),

scoped_customers as (
    select * from {{ ref('int_customers_aggregated') }}
    where {{ crm_incremental_in_scope('customer_id', lifecycle=true) }}
),

intervals as (
    {{ crm_lifecycle_intervals('scoped_occasions', 'scoped_members', 'scoped_customers') | indent(4) }}
),
{%- else %}
intervals as (
    select * from {{ ref('int_lifecycle_intervals_derived') }}
),
{%- endif %}

final as (
    select
        customer_id,
        lifecycle_stage,
        customer_type,
        valid_from,
        valid_to,
        {{ crm_lifecycle_segment('customer_type', 'lifecycle_stage') }} as lifecycle_segment,
        valid_to is null as is_current,
        {{ crm_as_of_date_legacy() }} as as_of_date
    from intervals
)

select * from final
