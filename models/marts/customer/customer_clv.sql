{#- One row per customer: BG/NBD probability alive and expected purchase occasions,
    Gamma-Gamma expected spend per occasion and the discounted 365-day CLV, ranked.
    The fit and the closed forms are in the Python models of
    models/intermediate/clv; this mart adds dates, ranks and deciles. -#}
{{ config(enabled=crm_clv_is_supported()) }}

with

summary as (
    select * from {{ ref('int_customers_clv_summarized') }}
),

scored as (
    select * from {{ ref('int_clv_customers_scored') }}
),

joined as (
    select
        summary.customer_id,
        summary.as_of_date,
        scored.x,
        scored.t_x,
        scored.t,
        scored.p_alive,
        scored.expected_purchases_90d,
        scored.expected_purchases_365d,
        scored.expected_aov,
        scored.clv_365d
    from summary
    inner join scored
        on summary.customer_id = scored.customer_id
),

ranked as (
    select
        *,
        rank() over (order by clv_365d desc nulls last) as clv_rank,
        percent_rank() over (order by clv_365d desc nulls last) as clv_percent_rank
    from joined
),

final as (
    select
        customer_id,
        as_of_date,
        cast(x as {{ dbt.type_bigint() }}) as x,
        cast(t_x as double) as t_x,
        cast(t as double) as {{ adapter.quote('T') }},
        cast(p_alive as double) as p_alive,
        cast(expected_purchases_90d as double) as expected_purchases_90d,
        cast(expected_purchases_365d as double) as expected_purchases_365d,
        cast(expected_aov as double) as expected_aov,
        cast(clv_365d as double) as clv_365d,
        case when clv_365d is not null then cast(clv_rank as {{ dbt.type_bigint() }}) end as clv_rank,
        case
            when clv_365d is not null
                then cast(least(10, 1 + floor(10 * clv_percent_rank)) as {{ dbt.type_int() }})
        end as clv_decile
    from ranked
)

select * from final
