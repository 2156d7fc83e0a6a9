{#- Gap analysis (docs/definitions.md#gap-analysis): the published rows of
    int_customer_group_years_decomposed (one row per fiscal year x scope x
    customer_group, the LMDI decomposition of the revenue change and the year's
    sales target and gap); gap_targets reads the same intermediate model. -#}

with

group_years as (
    select * from {{ ref('int_customer_group_years_decomposed') }}
),

final as (
    select
        year,  -- noqa: RF04
        year_start_date,
        year_end_date,
        store_id,
        customer_group,
        period_type,
        buyers,
        orders_count,
        occasions_count,
        repeat_buyers,
        orders_per_buyer,
        aov,
        revenue,
        repurchase_rate,
        buyer_share,
        revenue_share,
        retention_base_buyers,
        retention_base_new_buyers,
        retention_base_returning_buyers,
        new_retention_rate,
        returning_retention_rate,
        retention_rate,
        recruitment_rate,
        has_previous_year,
        has_full_history,
        previous_buyers,
        previous_orders_count,
        previous_orders_per_buyer,
        previous_aov,
        previous_revenue,
        revenue_change,
        buyers_effect,
        frequency_effect,
        aov_effect,
        target_revenue,
        revenue_gap,
        is_complete,
        as_of_date
    from group_years
)

select * from final
