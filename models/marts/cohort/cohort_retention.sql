{#- Cohort retention matrix (docs/definitions.md#cohorts-and-retention): one row per cohort (period of
    var cohort_grain holding the first purchase) x period_number, from the cohort's
    period to the period holding as_of_date. Incomplete periods are flagged. -#}
{%- set cohort_grain = crm_cohort_grain() -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

matrix as (
    {{ crm_cohort_retention_matrix('occasions', cohort_grain) | indent(4) }}
),

final as (
    select
        {{ crm_cohort_matrix_columns() }}
    from matrix
)

select * from final
