{#- The state of every member and customer as of as_of_date, one row each (the
    population of int_members_unioned: prospects and orphan customers included), in
    one place (docs/definitions.md#customer-state, #lifecycle): member attributes
    without PII and age; purchase summary and favourites; RFM (recency, frequency,
    monetary, scores, cell, segment), value tier and purchase cycle; lifecycle stage,
    customer type, segment and loyalty level; member tier; the CLV flags where the
    target runs the CLV fit (null elsewhere). The customer marts (customers,
    customer_rfm, customer_lifecycle, customer_value_flags) project it; the campaign,
    planning and summary marts read it.
    RFM: frequency, window_orders_count and monetary count the RFM window
    (as_of_date - rfm_window_days, as_of_date], all history by default; scores and
    value tier rank the customers (is_customer) only. The purchase cycle is 365 /
    occasions in the trailing 365 days (customers with two or more there). CLV flags:
    a hidden gem is likely alive (p_alive >= var clv_flag_high_p_alive) and among the
    top var clv_flag_top_share by predicted 365-day CLV, but outside the top var
    clv_flag_low_monetary_share by net spend to date; an at-risk high-value customer
    is among the top var clv_flag_top_share by net spend to date but likely gone
    (p_alive < var clv_flag_low_p_alive); shares are cume_dist() over the customers
    the chosen model scored. -#}
{{ config(materialized='table') }}
{%- set window_days = var('rfm_window_days', none) -%}
{%- set use_window = window_days is not none and (window_days | string | trim) not in ('', 'none', 'null') -%}
{%- set with_clv = crm_clv_is_supported() %}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

members as (
    select * from {{ ref('int_members_unioned') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

{% if use_window -%}
occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

{% endif -%}
favourites as (
    select * from {{ ref('int_customers_favourites_ranked') }}
),

member_tiers as (
    select * from {{ ref('int_member_tiers_assigned') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

segment_rules as (
    select * from {{ ref('rfm_segment_rules') }}
),
{%- if with_clv %}

clv_scores as (
    select * from {{ ref('int_clv_customers_chosen') }}
),
{%- endif %}

windowed as (
    {%- if use_window %}
    select
        customer_id,
        count(*) as frequency,
        sum(orders_count) as orders_count,
        sum(net_amount) as monetary,
        min(purchase_date) as window_first_purchase_date,
        max(purchase_date) as window_last_purchase_date
    from occasions
    where purchase_date > {{ crm_customer_add_days(-(window_days | int), crm_as_of_date()) }}
    group by customer_id
    {%- else %}
    select
        customer_id,
        occasions_count as frequency,
        orders_count,
        monetary,
        first_purchase_date as window_first_purchase_date,
        last_purchase_date as window_last_purchase_date
    from customers
    {%- endif %}
),

measured as (
    select
        customers.customer_id,
        cast(
            {{ dbt.datediff('customers.last_purchase_date', crm_as_of_date(), 'day') }}
            as {{ dbt.type_int() }}
        ) as recency_days,
        cast(coalesce(windowed.frequency, 0) as {{ dbt.type_bigint() }}) as frequency,
        cast(coalesce(windowed.orders_count, 0) as {{ dbt.type_bigint() }}) as window_orders_count,
        cast(coalesce(windowed.monetary, 0) as decimal(18, 2)) as monetary,
        windowed.window_first_purchase_date,
        windowed.window_last_purchase_date,
        customers.occasions_365d
    from customers
    left join windowed
        on customers.customer_id = windowed.customer_id
),

scored as (
    select
        *,
        {{ crm_rfm_score('recency_days', 'recency') }} as r_score,
        {{ crm_rfm_score('frequency', 'frequency') }} as f_score,
        {{ crm_rfm_score('monetary', 'monetary') }} as m_score,
        cume_dist() over (order by monetary desc) as monetary_cume_dist
    from measured
),

cell_segments as (
    {{ crm_rfm_cell_segments('scored', 'segment_rules') | indent(4) }}
),

cycled as (
    select
        *,
        case
            when frequency >= 2
                then
                    cast(
                        {{ dbt.datediff('window_first_purchase_date', 'window_last_purchase_date', 'day') }}
                        as double
                    )
                    / (frequency - 1)
        end as avg_purchase_interval_days,
        case
            when occasions_365d >= 2 then cast(365 as double) / occasions_365d
        end as purchase_cycle_days
    from scored
),

rfm as (
    select
        cycled.customer_id,
        cycled.recency_days,
        cycled.frequency,
        cycled.window_orders_count,
        cycled.monetary,
        cycled.r_score,
        cycled.f_score,
        cycled.m_score,
        {{ dbt.concat([
            dbt.cast('cycled.r_score', dbt.type_string()),
            dbt.cast('cycled.f_score', dbt.type_string()),
            dbt.cast('cycled.m_score', dbt.type_string()),
        ]) }} as rfm_cell,
        cell_segments.rfm_segment,
        cycled.monetary_cume_dist,
        {{ crm_value_tier('cycled.monetary_cume_dist') | indent(8) }} as value_tier,
        cycled.purchase_cycle_days,
        cycled.avg_purchase_interval_days,
        cast(cycled.recency_days as double) / cycled.purchase_cycle_days as overdue_ratio
    from cycled
    left join cell_segments
        on
            cycled.r_score = cell_segments.r_score
            and cycled.f_score = cell_segments.f_score
            and cycled.m_score = cell_segments.m_score
),

referrals as (
    select
        members.referred_by_member_id as customer_id,
        count(*) as referred_members,
        sum(case when customers.customer_id is not null then 1 else 0 end) as referred_customers
    from members
    left join customers
        on members.customer_id = customers.customer_id
    where
        members.referred_by_member_id is not null
        and members.referred_by_member_id != members.customer_id
    group by members.referred_by_member_id
),
{%- if with_clv %}

clv_ranked as (
    select
        clv_scores.customer_id,
        clv_scores.p_alive,
        clv_scores.churn_probability,
        clv_scores.expected_next_order_date,
        clv_scores.clv_365d,
        clv_scores.clv_decile,
        cume_dist() over (order by customers.monetary desc) as monetary_cume_dist,
        cume_dist() over (order by clv_scores.clv_365d desc nulls last) as clv_cume_dist
    from clv_scores
    inner join customers
        on clv_scores.customer_id = customers.customer_id
),

clv_flagged as (
    select
        customer_id,
        cast(monetary_cume_dist as double) as monetary_cume_dist,
        cast(p_alive as double) as p_alive,
        cast(churn_probability as double) as churn_probability,
        expected_next_order_date,
        cast(clv_365d as double) as clv_365d,
        case when clv_365d is not null then cast(clv_cume_dist as double) end as clv_cume_dist,
        clv_decile,
        coalesce(
            p_alive >= cast({{ var('clv_flag_high_p_alive', 0.7) }} as double)
            and clv_365d is not null
            and clv_cume_dist <= cast({{ var('clv_flag_top_share', 0.2) }} as double)
            and monetary_cume_dist > cast({{ var('clv_flag_low_monetary_share', 0.5) }} as double),
            false
        ) as is_hidden_gem,
        coalesce(
            monetary_cume_dist <= cast({{ var('clv_flag_top_share', 0.2) }} as double)
            and p_alive < cast({{ var('clv_flag_low_p_alive', 0.3) }} as double),
            false
        ) as is_at_risk_high_value
    from clv_ranked
),
{%- endif %}

aged as (
    select
        members.*,
        {{ crm_age_years('members.birth_date', 'build_context.as_of_date') }} as age,
        build_context.as_of_date
    from members
    cross join build_context
),

joined as (
    select
        aged.customer_id,
        aged.as_of_date,
        aged.is_member,
        customers.customer_id is not null as is_customer,
        aged.joined_date,
        cast(
            {{ dbt.datediff('aged.joined_date', 'aged.as_of_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as tenure_days,
        cast(aged.age as {{ dbt.type_int() }}) as age,
        age_bands.age_band,
        {#- The birthday in the as_of_date year, or the next one if passed: as_of_date
            when the age was reached that day. dateadd keeps a 29 February birthday on
            28 February in other years. #}
        case
            when aged.age is null then null
            when cast({{ dbt.dateadd('year', 'aged.age', 'aged.birth_date') }} as date) = aged.as_of_date
                then aged.as_of_date
            else cast({{ dbt.dateadd('year', 'aged.age + 1', 'aged.birth_date') }} as date)
        end as next_birthday_date,
        aged.gender,
        aged.city,
        aged.city_tier,
        aged.home_store_id,
        aged.referred_by_member_id,
        aged.sms_opt_in,
        aged.email_opt_in,
        customers.first_purchase_date,
        customers.last_purchase_date,
        cast(coalesce(customers.occasions_count, 0) as {{ dbt.type_bigint() }}) as occasions_count,
        cast(coalesce(customers.orders_count, 0) as {{ dbt.type_bigint() }}) as orders_count,
        cast(coalesce(customers.monetary, 0) as decimal(18, 2)) as revenue,
        {{ crm_customer_money_div(
            crm_customer_cents('customers.monetary'), 'customers.orders_count'
        ) }} as aov,
        favourites.favourite_category,
        favourites.favourite_channel,
        cast(favourites.flash_sale_orders as double)
        / nullif(customers.orders_count, 0) as flash_sale_order_share,
        {{ crm_customer_type('customers.occasions_count') }} as customer_type,
        case
            when rfm.recency_days is null then 'prospect'
            else {{ crm_lifecycle_stage('rfm.recency_days') }}
        end as lifecycle_stage,
        rfm.recency_days,
        case
            when customers.occasions_count >= 2 and referrals.referred_customers >= 1 then 'advocate'
            when customers.occasions_count >= 2 and referrals.referred_members >= 1 then 'supporter'
            when customers.occasions_count >= 2 then 'repeat_customer'
            when customers.occasions_count = 1 then 'purchaser'
            else 'prospect'
        end as loyalty_level,
        cast(coalesce(referrals.referred_members, 0) as {{ dbt.type_bigint() }}) as referred_members,
        cast(coalesce(referrals.referred_customers, 0) as {{ dbt.type_bigint() }}) as referred_customers,
        rfm.frequency,
        rfm.window_orders_count,
        rfm.monetary,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        rfm.rfm_segment,
        rfm.monetary_cume_dist,
        rfm.value_tier,
        rfm.purchase_cycle_days,
        rfm.avg_purchase_interval_days,
        rfm.overdue_ratio,
        case
            when rfm.customer_id is null then null
            when rfm.overdue_ratio is null then 'not_applicable'
            when rfm.overdue_ratio <= 1 then 'on_cycle'
            when rfm.overdue_ratio <= 2 then 'overdue'
            else 'alert'
        end as purchase_cycle_status,
        member_tiers.member_tier,
        member_tiers.tier_spend as member_tier_spend,
        member_tiers.next_tier,
        member_tiers.spend_to_next_tier,
        member_tiers.is_near_upgrade,
        member_tiers.is_downgrade_risk,
        {%- if with_clv %}
        clv_flagged.customer_id is not null as is_clv_scored,
        clv_flagged.monetary_cume_dist as clv_monetary_cume_dist,
        clv_flagged.clv_365d,
        clv_flagged.clv_cume_dist,
        clv_flagged.clv_decile,
        coalesce(clv_flagged.is_hidden_gem, false) as is_hidden_gem,
        coalesce(clv_flagged.is_at_risk_high_value, false) as is_at_risk_high_value,
        clv_flagged.p_alive,
        clv_flagged.churn_probability,
        clv_flagged.expected_next_order_date
        {%- else %}
        cast(null as boolean) as is_clv_scored,
        cast(null as double) as clv_monetary_cume_dist,
        cast(null as double) as clv_365d,
        cast(null as double) as clv_cume_dist,
        cast(null as {{ dbt.type_int() }}) as clv_decile,
        cast(null as boolean) as is_hidden_gem,
        cast(null as boolean) as is_at_risk_high_value,
        cast(null as double) as p_alive,
        cast(null as double) as churn_probability,
        cast(null as date) as expected_next_order_date
        {%- endif %}
    from aged
    left join age_bands
        on {{ crm_age_band_matches('aged.age', 'age_bands') | indent(8) }}
    left join customers
        on aged.customer_id = customers.customer_id
    left join favourites
        on aged.customer_id = favourites.customer_id
    left join rfm
        on aged.customer_id = rfm.customer_id
    left join referrals
        on aged.customer_id = referrals.customer_id
    left join member_tiers
        on aged.customer_id = member_tiers.customer_id
    {%- if with_clv %}
    left join clv_flagged
        on aged.customer_id = clv_flagged.customer_id
    {%- endif %}
),

final as (
    select
        *,
        {{ crm_lifecycle_segment('customer_type', 'lifecycle_stage') }} as lifecycle_segment
    from joined
)

select * from final
