{#- The lifecycle stage list (docs/definitions.md#lifecycle) as a table: one row per
    stage in order, with its recency bounds from var lifecycle_boundaries. Made from
    the one definition (macros/lifecycle.sql) for the readers outside dbt's SQL: the
    GE suite (scripts/validate.py) and the Python tests. -#}
{{ config(materialized='table') }}

with

stages as (
    {{ crm_lifecycle_stage_bounds() | indent(4) }}
),

final as (
    select
        cast(stage_index as {{ dbt.type_int() }}) as stage_index,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(min_days as {{ dbt.type_int() }}) as min_days,
        cast(max_days as {{ dbt.type_int() }}) as max_days
    from stages
)

select * from final
