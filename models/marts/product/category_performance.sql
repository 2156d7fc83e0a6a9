{#- Category performance per calendar month (docs/definitions.md#products-and-categories):
    one row per category x month with buyers or lapses, up to the month of as_of_date.
    buyers = customers with an occasion in the category in the month; new_buyers = those
    whose first occasion in the category is in the month; repeat_buyers = the others
    (they bought the category before the month), so new_buyers + repeat_buyers = buyers.
    lapsed_customers = customers whose status in the category turned lapsed in the month:
    the day after last purchase + the category's repurchase interval, when no purchase of
    the category came first, and on or before as_of_date. revenue_share = the category's
    spend / the month's net spend on all purchase lines (lines without a category
    included). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

category_occasions as (
    select * from {{ ref('int_customer_category_occasions_grouped') }}
),

category_intervals as (
    select * from {{ ref('int_category_intervals_measured') }}
),

purchase_items as (
    select * from {{ ref('int_purchase_items_allocated') }}
),

monthly_activity as (
    select
        category,
        cast({{ dbt.date_trunc('month', 'purchase_date') }} as date) as month_start,
        count(distinct customer_id) as buyers,
        count(distinct case when occasion_number = 1 then customer_id end) as new_buyers,
        count(*) as occasions_count,
        sum(quantity) as quantity,
        sum(net_amount) as spend
    from category_occasions
    group by category, cast({{ dbt.date_trunc('month', 'purchase_date') }} as date)
),

lapses as (
    select
        category_occasions.category,
        category_occasions.customer_id,
        {{ crm_customer_add_days(
            'category_intervals.repurchase_interval_days + 1', 'category_occasions.purchase_date'
        ) }} as lapse_date,
        category_occasions.next_purchase_date
    from category_occasions
    inner join category_intervals
        on category_occasions.category = category_intervals.category
),

monthly_lapses as (
    select
        category,
        cast({{ dbt.date_trunc('month', 'lapse_date') }} as date) as month_start,
        count(distinct customer_id) as lapsed_customers
    from lapses
    where
        lapse_date <= {{ crm_as_of_date() }}
        and (next_purchase_date is null or next_purchase_date > lapse_date)
    group by category, cast({{ dbt.date_trunc('month', 'lapse_date') }} as date)
),

monthly_revenue as (
    select
        cast({{ dbt.date_trunc('month', 'purchase_date') }} as date) as month_start,
        sum(net_amount) as revenue
    from purchase_items
    group by cast({{ dbt.date_trunc('month', 'purchase_date') }} as date)
),

category_months as (
    select
        category,
        month_start
    from monthly_activity
    union
    select
        category,
        month_start
    from monthly_lapses
),

final as (
    select
        category_months.category,
        category_months.month_start,
        {{ crm_customer_add_days(-1, dbt.dateadd('month', 1, 'category_months.month_start')) }} as month_end,
        cast(coalesce(monthly_activity.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
        cast(coalesce(monthly_activity.new_buyers, 0) as {{ dbt.type_bigint() }}) as new_buyers,
        cast(
            coalesce(monthly_activity.buyers, 0) - coalesce(monthly_activity.new_buyers, 0)
            as {{ dbt.type_bigint() }}
        ) as repeat_buyers,
        cast(coalesce(monthly_activity.occasions_count, 0) as {{ dbt.type_bigint() }}) as occasions_count,
        cast(coalesce(monthly_activity.quantity, 0) as {{ dbt.type_bigint() }}) as quantity,
        cast(coalesce(monthly_activity.spend, 0) as decimal(18, 2)) as spend,
        cast(coalesce(monthly_lapses.lapsed_customers, 0) as {{ dbt.type_bigint() }}) as lapsed_customers,
        cast(coalesce(monthly_activity.spend, 0) as double) / nullif(monthly_revenue.revenue, 0) as revenue_share,
        {{ crm_customer_add_days(-1, dbt.dateadd('month', 1, 'category_months.month_start')) }}
        <= {{ crm_as_of_date() }} as is_complete
    from category_months
    left join monthly_activity
        on
            category_months.category = monthly_activity.category
            and category_months.month_start = monthly_activity.month_start
    left join monthly_lapses
        on
            category_months.category = monthly_lapses.category
            and category_months.month_start = monthly_lapses.month_start
    left join monthly_revenue
        on category_months.month_start = monthly_revenue.month_start
)

select * from final
