{#- One row per customer: the buy-till-you-die summary the CLV fit reads, in days.
    Repeat purchases are purchase occasions after the first (several orders on one
    day are one occasion). Full window: up to as_of_date. Calibration window: up to
    the calibration end (var clv_calibration_end, default as_of_date - 182 days),
    for customers whose first purchase falls in it; the holdout period
    (calibration end, as_of_date] holds their actual repeat occasions. Both dates come
    from the build context; the post-hook stops the CLV models when the calibration
    end is not before as_of_date. -#}
{{ config(
    materialized='table',
    post_hook="{{ crm_clv_check_calibration_end() }}",
) }}
{{- crm_clv_skip_notice() }}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

occasions_summarized as (
    select
        customer_id,
        sum(case when occasion_number > 1 then net_amount end) as repeat_net_amount,
        sum(case when purchase_date <= {{ crm_clv_calibration_end() }} then 1 else 0 end) as calibration_occasions,
        max(case when purchase_date <= {{ crm_clv_calibration_end() }} then purchase_date end)
            as calibration_last_purchase_date
    from occasions
    group by customer_id
),

joined as (
    select
        customers.customer_id,
        customers.as_of_date,
        {{ crm_clv_calibration_end() }} as calibration_end_date,
        customers.first_purchase_date,
        customers.last_purchase_date,
        customers.occasions_count,
        occasions_summarized.repeat_net_amount,
        occasions_summarized.calibration_occasions,
        occasions_summarized.calibration_last_purchase_date,
        customers.first_purchase_date <= {{ crm_clv_calibration_end() }} as is_in_calibration
    from customers
    inner join occasions_summarized
        on customers.customer_id = occasions_summarized.customer_id
),

final as (
    select
        customer_id,
        as_of_date,
        calibration_end_date,
        first_purchase_date,
        last_purchase_date,
        cast(occasions_count - 1 as {{ dbt.type_bigint() }}) as repeat_occasions,
        cast(
            {{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as first_to_last_days,
        cast(
            {{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as first_to_as_of_days,
        cast(repeat_net_amount as double) / nullif(occasions_count - 1, 0) as avg_repeat_occasion_value,
        is_in_calibration,
        case
            when is_in_calibration then cast(calibration_occasions - 1 as {{ dbt.type_bigint() }})
        end as calibration_repeat_occasions,
        case
            when is_in_calibration
                then cast(
                    {{ dbt.datediff('first_purchase_date', 'calibration_last_purchase_date', 'day') }}
                    as {{ dbt.type_int() }}
                )
        end as calibration_first_to_last_days,
        case
            when is_in_calibration
                then cast(
                    {{ dbt.datediff('first_purchase_date', 'calibration_end_date', 'day') }}
                    as {{ dbt.type_int() }}
                )
        end as calibration_first_to_end_days,
        case
            when is_in_calibration
                then cast(occasions_count - calibration_occasions as {{ dbt.type_bigint() }})
        end as holdout_occasions,
        cast(
            {{ dbt.datediff('calibration_end_date', 'as_of_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as holdout_days
    from joined
)

select * from final
