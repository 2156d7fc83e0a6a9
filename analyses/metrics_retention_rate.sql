{#- Analyst example: cohort retention with the retention_rate macro.
    1. The monthly cohort matrix of customers acquired in each channel, only the
       3rd, 6th and 12th month (retention_rate, exact mode).
    2. "Returned within 90 / 180 days" per quarterly cohort (n_day_retention_rate,
       within mode). Both read the occasion grain (int_purchase_occasions_grouped); the
       channel is constant per customer, so the occasions keep their numbering. Compile with `dbt compile --select metrics_retention_rate`. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

customers as (
    select * from {{ ref('int_customers_cohorted') }}
),

occasions_with_channel as (
    select
        occasions.*,
        customers.acquisition_channel
    from occasions
    inner join customers
        on occasions.customer_id = customers.customer_id
),

matrix as (
    {{ retention_rate(
        'occasions_with_channel',
        cohort_grain='month',
        mode='exact',
        periods=[3, 6, 12],
        partition_by=['acquisition_channel']
    ) | indent(4) }}
),

returned_within as (
    {{ n_day_retention_rate('occasions', windows=[90, 180], mode='within', cohort_grain='quarter') | indent(4) }}
),

final as (
    select
        'matrix' as view_name,
        matrix.acquisition_channel,
        matrix.cohort_start,
        matrix.period_number as window_number,
        matrix.retention_rate,
        matrix.is_complete
    from matrix
    union all
    select
        'returned_within_days' as view_name,
        'all' as acquisition_channel,
        returned_within.cohort_start,
        returned_within.window_days as window_number,
        returned_within.retention_rate,
        returned_within.is_complete
    from returned_within
)

select * from final
