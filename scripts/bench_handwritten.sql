-- The core CRM numbers as one hand-written DuckDB script: the baseline that
-- scripts/bench.py times the dbt build of the core marts against.
--
-- Same inputs and the same rules as the warehouse (docs/definitions.md), written
-- the way a data engineer would write them by hand for DuckDB alone: typed Parquet
-- orders and members, exact duplicates collapsed, the latest version of a key wins
-- (a tie at the latest version or an invalid winner drops the key), purchases,
-- occasions, then
--   hand.customer_rfm        per customer: R / F / M, scores, cell, segment,
--                            value tier, purchase cycle, member tier
--   hand.customer_lifecycle  per member or customer: type, stage, segment, loyalty
--   hand.cohort_retention    monthly cohorts x period_number
--   hand.kpi_weekly          weekly buyers, orders, revenue, AOV, 45-day repurchase
--   hand.repurchase_rates    month / quarter / year x all / new / returning
-- No rejected-rows bookkeeping, no contracts, no tests: only the numbers.
-- tests/python/test_bench.py checks these tables equal the marts.
--
-- Placeholders (string.Template, filled by scripts/bench.py):
--   $orders, $members   SQL string literals: Parquet path or glob
--   $as_of_date         SQL date expression, or null for "latest purchase date"
--   $build_date         SQL date literal: the build's date (later timestamps are rejected)
--   $min_valid_date     SQL date literal (var min_valid_date)
--   $rfm_segment_rules, $member_tiers  SQL string literals: the config seed CSVs

create schema if not exists hand;

-- Orders: exact duplicates collapse, validate, latest updated_at wins.
create or replace temp table kept_orders as
with

raw_orders as (
    select distinct
        nullif(trim(order_id), '') as order_id,
        nullif(trim(member_id), '') as member_id,
        nullif(trim(store_id), '') as store_id,
        nullif(trim(channel), '') as channel,
        nullif(trim(status), '') as status,
        ordered_at,
        paid_at,
        amount,
        refund_amount,
        updated_at
    from read_parquet($orders, union_by_name = true)
),

checked as (
    select
        order_id,
        member_id,
        coalesce(lower(status), 'completed') as status,
        ordered_at,
        paid_at,
        cast(amount as decimal(18, 2)) as amount,
        coalesce(cast(refund_amount as decimal(18, 2)), 0) as refund_amount,
        updated_at,
        (
            ordered_at is not null
            and amount is not null
            and amount >= 0
            and coalesce(refund_amount, 0) >= 0
            and coalesce(refund_amount, 0) <= amount
            and coalesce(lower(status), 'completed')
            in ('created', 'paid', 'shipped', 'completed', 'cancelled', 'refunded')
            and cast(ordered_at as date) between $min_valid_date and $build_date
            and (paid_at is null or cast(paid_at as date) between $min_valid_date and $build_date)
            and (updated_at is null or cast(updated_at as date) between $min_valid_date and $build_date)
        ) as is_valid
    from raw_orders
    where order_id is not null
),

latest as (
    select *
    from checked
    qualify rank() over (partition by order_id order by updated_at desc nulls last) = 1
)

select *
from latest
qualify count(*) over (partition by order_id) = 1 and is_valid;

-- Purchases and the as_of_date (default: the latest purchase date).
create or replace temp table all_purchases as
select
    member_id as customer_id,
    cast(coalesce(paid_at, ordered_at) as date) as purchase_date,
    amount - refund_amount as net_amount
from kept_orders
where
    status in ('paid', 'shipped', 'completed')
    and member_id is not null
    and amount - refund_amount > 0;

create or replace temp table params as
select coalesce($as_of_date, (select max(purchase_date) from all_purchases)) as as_of_date;

-- Occasions: one row per (customer, purchase_date).
create or replace temp table occasions as
select
    customer_id,
    purchase_date,
    count(*) as orders_count,
    sum(net_amount) as net_amount,
    lag(purchase_date) over (partition by customer_id order by purchase_date) as previous_purchase_date,
    lead(purchase_date) over (partition by customer_id order by purchase_date) as next_purchase_date
from all_purchases
where purchase_date <= (select as_of_date from params)
group by customer_id, purchase_date;

create or replace temp table customers as
select
    customer_id,
    min(purchase_date) as first_purchase_date,
    max(purchase_date) as last_purchase_date,
    count(*) as occasions_count,
    sum(orders_count) as orders_count,
    sum(net_amount) as monetary,
    coalesce(sum(net_amount) filter (where purchase_date > (select as_of_date - 365 from params)), 0) as tier_spend,
    count(*) filter (where purchase_date > (select as_of_date - 365 from params)) as occasions_365d
from occasions
group by customer_id;

-- RFM.
create or replace table hand.customer_rfm as
with

measured as (
    select
        customers.*,
        params.as_of_date,
        params.as_of_date - customers.last_purchase_date as recency_days
    from customers
    cross join params
),

scored as (
    select
        *,
        cast(least(5, 1 + floor(5 * percent_rank() over (order by recency_days desc))) as int) as r_score,
        cast(least(5, 1 + floor(5 * percent_rank() over (order by occasions_count))) as int) as f_score,
        cast(least(5, 1 + floor(5 * percent_rank() over (order by monetary))) as int) as m_score,
        cume_dist() over (order by monetary desc) as monetary_cume_dist
    from measured
),

rules as (
    select * from read_csv($rfm_segment_rules, header = true)
),

cell_segments as (
    select
        cells.r_score,
        cells.f_score,
        cells.m_score,
        arg_min(rules.segment, (rules.priority, rules.segment)) as rfm_segment
    from (select distinct r_score, f_score, m_score from scored) as cells
    inner join rules
        on
            cells.r_score between rules.r_min and rules.r_max
            and cells.f_score between rules.f_min and rules.f_max
            and cells.m_score between rules.m_min and rules.m_max
    group by all
),

tiers as (
    select
        tier,
        min_spend,
        lead(min_spend) over (order by min_spend, tier) as next_min_spend
    from read_csv($member_tiers, header = true, types = {'min_spend': 'decimal(18, 2)'})
)

select
    scored.customer_id,
    scored.as_of_date,
    scored.first_purchase_date,
    scored.last_purchase_date,
    scored.recency_days,
    scored.occasions_count as frequency,
    scored.orders_count,
    scored.monetary,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    concat(scored.r_score, scored.f_score, scored.m_score) as rfm_cell,
    cell_segments.rfm_segment,
    case
        when scored.monetary_cume_dist <= 0.01 then 'top'
        when scored.monetary_cume_dist <= 0.05 then 'high'
        when scored.monetary_cume_dist <= 0.20 then 'middle'
        else 'low'
    end as value_tier,
    case
        when scored.occasions_count >= 2
            then (scored.last_purchase_date - scored.first_purchase_date) / (scored.occasions_count - 1)
    end as avg_purchase_interval_days,
    case when scored.occasions_365d >= 2 then 365.0 / scored.occasions_365d end as purchase_cycle_days,
    scored.recency_days / purchase_cycle_days as overdue_ratio,
    case
        when overdue_ratio is null then 'not_applicable'
        when overdue_ratio <= 1 then 'on_cycle'
        when overdue_ratio <= 2 then 'overdue'
        else 'alert'
    end as purchase_cycle_status,
    tiers.tier as member_tier
from scored
left join cell_segments using (r_score, f_score, m_score)
left join tiers
    on scored.tier_spend >= tiers.min_spend and (tiers.next_min_spend is null or scored.tier_spend < tiers.next_min_spend);

-- Members: the same collapse / validate / latest-version rules.
create or replace temp table kept_members as
with

raw_members as (
    select distinct
        nullif(trim(member_id), '') as member_id,
        joined_at,
        birth_date,
        nullif(trim(gender), '') as gender,
        nullif(trim(city), '') as city,
        city_tier,
        nullif(trim(home_store_id), '') as home_store_id,
        nullif(trim(referred_by_member_id), '') as referred_by_member_id,
        nullif(trim(email), '') as email,
        nullif(trim(phone), '') as phone,
        sms_opt_in,
        email_opt_in,
        updated_at
    from read_parquet($members, union_by_name = true)
),

checked as (
    select
        member_id,
        joined_at,
        referred_by_member_id,
        updated_at,
        (
            coalesce(upper(gender), 'U') in ('F', 'M', 'U')
            and (city_tier is null or city_tier in (1, 2, 3, 4, 5))
            and (birth_date is null or birth_date <= $build_date)
            and (joined_at is null or cast(joined_at as date) between $min_valid_date and $build_date)
            and (updated_at is null or cast(updated_at as date) between $min_valid_date and $build_date)
        ) as is_valid
    from raw_members
    where member_id is not null
),

latest as (
    select *
    from checked
    qualify rank() over (partition by member_id order by updated_at desc nulls last) = 1
)

select member_id, joined_at, referred_by_member_id
from latest
qualify count(*) over (partition by member_id) = 1 and is_valid;

-- Lifecycle: every member who joined by as_of_date, every customer, orphans included.
create or replace table hand.customer_lifecycle as
with

members as (
    select
        kept_members.member_id as customer_id,
        kept_members.referred_by_member_id
    from kept_members
    left join customers on kept_members.member_id = customers.customer_id
    where
        kept_members.joined_at is null
        or cast(kept_members.joined_at as date) <= (select as_of_date from params)
        or customers.customer_id is not null
    union all
    select
        customers.customer_id,
        null as referred_by_member_id
    from customers
    anti join kept_members on customers.customer_id = kept_members.member_id
),

referrals as (
    select
        members.referred_by_member_id as customer_id,
        count(*) as referred_members,
        count(customers.customer_id) as referred_customers
    from members
    left join customers on members.customer_id = customers.customer_id
    where members.referred_by_member_id is not null and members.referred_by_member_id != members.customer_id
    group by members.referred_by_member_id
),

typed as (
    select
        members.customer_id,
        coalesce(customers.occasions_count, 0) as occasions_count,
        params.as_of_date - customers.last_purchase_date as recency_days,
        coalesce(referrals.referred_members, 0) as referred_members,
        coalesce(referrals.referred_customers, 0) as referred_customers,
        params.as_of_date
    from members
    cross join params
    left join customers on members.customer_id = customers.customer_id
    left join referrals on members.customer_id = referrals.customer_id
),

staged as (
    select
        *,
        case when occasions_count = 0 then 'prospect' when occasions_count = 1 then 'new' else 'returning' end
            as customer_type,
        case
            when recency_days is null then 'prospect'
            when recency_days < 7 then 'after_sale'
            when recency_days < 45 then 'active'
            when recency_days < 90 then 'silent'
            when recency_days < 180 then 'sleeping'
            when recency_days < 365 then 'pre_churn'
            else 'lost'
        end as lifecycle_stage
    from typed
)

select
    customer_id,
    as_of_date,
    customer_type,
    lifecycle_stage,
    case when customer_type = 'prospect' then 'prospect' else customer_type || '_' || lifecycle_stage end
        as lifecycle_segment,
    recency_days,
    case
        when occasions_count >= 2 and referred_customers >= 1 then 'advocate'
        when occasions_count >= 2 and referred_members >= 1 then 'supporter'
        when occasions_count >= 2 then 'repeat_customer'
        when occasions_count = 1 then 'purchaser'
        else 'prospect'
    end as loyalty_level
from staged;

-- Monthly cohort retention.
create or replace table hand.cohort_retention as
with

cohort_months as (
    select
        occasions.customer_id,
        date_trunc('month', customers.first_purchase_date) as cohort_start,
        date_trunc('month', occasions.purchase_date) as period_start,
        occasions.orders_count,
        occasions.net_amount
    from occasions
    inner join customers on occasions.customer_id = customers.customer_id
),

activity as (
    select
        cohort_start,
        period_start,
        count(distinct customer_id) as active_customers,
        sum(orders_count) as orders_count,
        sum(net_amount) as revenue
    from cohort_months
    group by cohort_start, period_start
),

cohorts as (
    select
        date_trunc('month', first_purchase_date) as cohort_start,
        count(*) as cohort_size
    from customers
    group by 1
),

months as (
    select cast(range as date) as period_start
    from params,
        range(
            date_trunc('month', (select min(first_purchase_date) from customers)),
            date_trunc('month', params.as_of_date) + interval 1 month,
            interval 1 month
        )
),

grid as (
    select
        cohorts.cohort_start,
        cohorts.cohort_size,
        months.period_start,
        date_diff('month', cohorts.cohort_start, months.period_start) as period_number
    from cohorts
    inner join months on months.period_start >= cohorts.cohort_start
)

select
    cast(grid.cohort_start as date) as cohort_start,
    cast(grid.period_number as int) as period_number,
    grid.cohort_size,
    coalesce(activity.active_customers, 0) as active_customers,
    coalesce(activity.active_customers, 0) / grid.cohort_size as retention_rate,
    coalesce(activity.orders_count, 0) as orders_count,
    coalesce(activity.revenue, 0) as revenue,
    sum(coalesce(activity.revenue, 0)) over (partition by grid.cohort_start order by grid.period_number)
    / grid.cohort_size as cumulative_revenue_per_customer,
    cast(grid.period_start + interval 1 month - interval 1 day as date) <= params.as_of_date as is_complete
from grid
cross join params
left join activity
    on grid.cohort_start = activity.cohort_start and grid.period_start = activity.period_start;

-- Weekly KPIs, with the seed's 45-day repurchase rate: the week's buyers with two or
-- more occasions in the 45 days ending on the week's Sunday (or as_of_date).
create or replace table hand.kpi_weekly as
with

weeks as (
    select cast(range as date) as week_start
    from params,
        range(
            date_trunc('week', (select min(first_purchase_date) from customers)),
            date_trunc('week', params.as_of_date) + interval 7 day,
            interval 7 day
        )
),

weekly as (
    select
        date_trunc('week', purchase_date) as week_start,
        count(distinct customer_id) as buyers,
        sum(orders_count) as orders_count,
        sum(net_amount) as revenue
    from occasions
    group by 1
),

-- The week's buyers, each with the last occasion of the week and the one before it:
-- a repeat buyer has both in [e - 44, e], e = Sunday or as_of_date.
customer_weeks as (
    select
        customer_id,
        cast(date_trunc('week', purchase_date) as date) as week_start,
        max(purchase_date) as last_date,
        max(previous_purchase_date) as previous_date
    from occasions
    group by 1, 2
),

repeaters as (
    select
        week_start,
        count(*) filter (
            where previous_date >= least(cast(week_start + 6 as date), (select as_of_date from params)) - 44
        ) as repeat_buyers
    from customer_weeks
    group by 1
),

joined as (
    select
        weeks.week_start,
        cast(weeks.week_start + 6 as date) as week_end,
        coalesce(weekly.buyers, 0) as buyers,
        coalesce(repeaters.repeat_buyers, 0) as repeat_buyers,
        coalesce(weekly.orders_count, 0) as orders_count,
        coalesce(weekly.revenue, 0) as revenue,
        weekly.revenue / nullif(weekly.orders_count, 0) as aov
    from weeks
    left join weekly on weeks.week_start = weekly.week_start
    left join repeaters on weeks.week_start = repeaters.week_start
),

rated as (
    select
        *,
        repeat_buyers / nullif(buyers, 0) as repurchase_rate_45d
    from joined
)

select
    week_start,
    week_end,
    buyers,
    repeat_buyers,
    orders_count,
    revenue,
    cast(aov as double) as aov,
    repurchase_rate_45d,
    repurchase_rate_45d / nullif(lag(repurchase_rate_45d) over (order by week_start), 0) as repurchase_rate_change,
    aov / nullif(lag(aov) over (order by week_start), 0) as aov_change,
    repurchase_rate_change * aov_change as combined_change,
    week_end <= (select as_of_date from params) as is_complete
from rated;

-- Repurchase rates per month / quarter / year x all / new / returning.
create or replace table hand.repurchase_rates as
with

customer_periods as (
    select
        grains.period_grain,
        date_trunc(grains.period_grain, occasions.purchase_date) as period_start,
        count(*) as occasions_count,
        bool_or(occasions.previous_purchase_date is null) as is_new
    from occasions
    cross join (values ('month'), ('quarter'), ('year')) as grains (period_grain)
    group by grains.period_grain, occasions.customer_id, 2
),

counted as (
    select
        period_grain,
        period_start,
        case when grouping(is_new) = 1 then 'all' when is_new then 'new' else 'returning' end as customer_type,
        count(*) as buyers,
        count(*) filter (where occasions_count >= 2) as repeat_buyers
    from customer_periods
    group by grouping sets ((period_grain, period_start), (period_grain, period_start, is_new))
),

grid as (
    select
        grains.period_grain,
        grains.months,
        cast(range as date) as period_start,
        types.customer_type
    from params
    cross join (values ('month', 1), ('quarter', 3), ('year', 12)) as grains (period_grain, months)
    cross join (values ('all'), ('new'), ('returning')) as types (customer_type)
    cross join lateral range(
        date_trunc(grains.period_grain, (select min(first_purchase_date) from customers)),
        date_trunc(grains.period_grain, params.as_of_date) + to_months(grains.months),
        to_months(grains.months)
    )
)

select
    grid.period_grain,
    grid.period_start,
    grid.customer_type,
    coalesce(counted.buyers, 0) as buyers,
    coalesce(counted.repeat_buyers, 0) as repeat_buyers,
    counted.repeat_buyers / nullif(counted.buyers, 0) as repurchase_rate,
    cast(grid.period_start + to_months(grid.months) - interval 1 day as date) as period_end,
    period_end <= (select as_of_date from params) as is_complete
from grid
left join counted
    on
        grid.period_grain = counted.period_grain
        and grid.period_start = counted.period_start
        and grid.customer_type = counted.customer_type;
