{#- Analyst example: quarterly wake-up (sleeping) and win-back (lost) rates of each
    acquisition channel with the reactivation_rate macro: the stage is taken on the
    day before each quarter, purchasers are those with an occasion in the quarter. -#}

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

rates as (
    {{ reactivation_rate(
        'occasions_with_channel', 'quarter', ['sleeping', 'lost'], partition_by=['acquisition_channel']
    ) | indent(4) }}
),

final as (
    select
        acquisition_channel,
        period_start,
        from_stage,
        customers_at_start,
        purchasers,
        reactivation_rate,
        is_complete
    from rates
)

select * from final
