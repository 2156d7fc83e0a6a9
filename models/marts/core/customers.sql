{#- Customer 360 for BI: one row per member or customer as of as_of_date
    (prospects and orphan customers included). Member attributes without PII,
    purchase summary, favourite category and channel, the current RFM, member
    tier and lifecycle columns, and the CLV flags, p_alive, churn probability and
    expected next order date (customer_value_flags) where the target runs the CLV
    fit; elsewhere (Spark) those columns are null. -#}
{%- set with_clv_flags = crm_clv_is_supported() %}

with

members as (
    select * from {{ ref('int_members_unioned') }}
),

customers_aggregated as (
    select * from {{ ref('int_customers_aggregated') }}
),

favourites as (
    select * from {{ ref('int_customers_favourites_ranked') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

member_tiers as (
    select * from {{ ref('int_member_tiers_assigned') }}
),

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),
{% if with_clv_flags %}
value_flags as (
    select * from {{ ref('customer_value_flags') }}
),
{% endif %}

birth_years as (
    select
        *,
        {{ dbt.datediff('birth_date', crm_as_of_date_legacy(), 'year') }}
            as calendar_years
    from members
),

aged as (
    select
        *,
        case
            when birth_date > {{ crm_as_of_date_legacy() }} then null
            when
                cast({{ dbt.dateadd('year', 'calendar_years', 'birth_date') }} as date)
                > {{ crm_as_of_date_legacy() }}
                then calendar_years - 1
            else calendar_years
        end as age
    from birth_years
),

banded as (
    select
        aged.*,
        age_bands.age_band
    from aged
    left join age_bands
        on
            (aged.age is null and age_bands.min_age is null and age_bands.max_age is null)
            or (
                aged.age >= age_bands.min_age
                and (age_bands.max_age is null or aged.age <= age_bands.max_age)
            )
),

final as (
    select
        banded.customer_id,
        {{ crm_as_of_date_legacy() }} as as_of_date,
        banded.is_member,
        banded.joined_date,
        cast(
            {{ dbt.datediff('banded.joined_date', crm_as_of_date_legacy(), 'day') }}
            as {{ dbt.type_int() }}
        ) as tenure_days,
        cast(banded.age as {{ dbt.type_int() }}) as age,
        banded.age_band,
        banded.gender,
        banded.city,
        banded.city_tier,
        banded.home_store_id,
        banded.referred_by_member_id,
        banded.sms_opt_in,
        banded.email_opt_in,
        customers_aggregated.first_purchase_date,
        customers_aggregated.last_purchase_date,
        cast(coalesce(customers_aggregated.occasions_count, 0) as {{ dbt.type_bigint() }}) as occasions_count,
        cast(coalesce(customers_aggregated.orders_count, 0) as {{ dbt.type_bigint() }}) as orders_count,
        cast(coalesce(customers_aggregated.monetary, 0) as decimal(18, 2)) as revenue,
        {{ crm_customer_money_div(
            crm_customer_cents('customers_aggregated.monetary'), 'customers_aggregated.orders_count'
        ) }} as aov,
        favourites.favourite_category,
        favourites.favourite_channel,
        cast(favourites.flash_sale_orders as double)
        / nullif(customers_aggregated.orders_count, 0) as flash_sale_order_share,
        lifecycle.customer_type,
        lifecycle.lifecycle_stage,
        lifecycle.lifecycle_segment,
        lifecycle.recency_days,
        lifecycle.loyalty_level,
        rfm.frequency,
        rfm.monetary,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        rfm.rfm_segment,
        rfm.value_tier,
        rfm.avg_purchase_interval_days,
        rfm.overdue_ratio,
        rfm.purchase_cycle_status,
        member_tiers.member_tier,
        member_tiers.tier_spend as member_tier_spend,
        member_tiers.next_tier,
        member_tiers.spend_to_next_tier,
        member_tiers.is_near_upgrade,
        member_tiers.is_downgrade_risk,
        {%- if with_clv_flags %}
        coalesce(value_flags.is_hidden_gem, false) as is_hidden_gem,
        coalesce(value_flags.is_at_risk_high_value, false) as is_at_risk_high_value,
        value_flags.p_alive,
        value_flags.churn_probability,
        value_flags.expected_next_order_date
        {%- else %}
        cast(null as boolean) as is_hidden_gem,
        cast(null as boolean) as is_at_risk_high_value,
        cast(null as double) as p_alive,
        cast(null as double) as churn_probability,
        cast(null as date) as expected_next_order_date
        {%- endif %}
    from banded
    left join customers_aggregated
        on banded.customer_id = customers_aggregated.customer_id
    left join favourites
        on banded.customer_id = favourites.customer_id
    left join lifecycle
        on banded.customer_id = lifecycle.customer_id
    left join rfm
        on banded.customer_id = rfm.customer_id
    left join member_tiers
        on banded.customer_id = member_tiers.customer_id
    {%- if with_clv_flags %}
    left join value_flags
        on banded.customer_id = value_flags.customer_id
    {%- endif %}
)

select * from final
