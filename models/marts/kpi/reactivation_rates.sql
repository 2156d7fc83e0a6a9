{#- Reactivation rates (docs/definitions.md#rates): per month x from_stage, the
    customers whose lifecycle stage on the day before the month is from_stage and the
    share of them with >= 1 occasion in the month. sleeping = wake-up rate, lost =
    win-back rate. Prospects (no purchase yet) are not counted. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

rates as (
    {{ reactivation_rate('occasions', 'month') | indent(4) }}
),

named as (
    select
        *,
        case from_stage
            when 'sleeping' then 'wake_up_rate'
            when 'lost' then 'win_back_rate'
            else 'reactivation_rate'
        end as rate_name
    from rates
),

final as (
    select
        period_grain,
        period_start,
        from_stage,
        customers_at_start,
        purchasers,
        reactivation_rate,
        rate_name,
        period_end,
        is_complete
    from named
)

select * from final
