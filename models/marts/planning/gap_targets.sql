{#- Targets vs baseline and actuals (docs/definitions.md#gap-analysis): one row per
    target year x scope (store_id null = whole business) x driver, for every (year,
    scope) in seed crm_targets. baseline = the previous fiscal year's actual;
    target = the seed (or derived from the seed targets); actual = the year's
    actual when the year has data; gap = target - actual. The plan implies
    sales = buyers x orders_per_buyer x aov with buyers = new + new_retention_rate x
    last year's new buyers + returning_retention_rate x last year's returning buyers
    + reactivated, every driver at its target or, without one, at baseline
    (implied_sales vs sales_target). required_value: the value one lever alone
    (recruitment, retention, frequency, aov) needs to reach the sales target with the
    other drivers at baseline (at target where the baseline is undefined). #}

{%- set seed_drivers = [
    'sales', 'new_buyers', 'recruitment_rate', 'new_retention_rate',
    'returning_retention_rate', 'reactivated_buyers', 'orders_per_buyer', 'aov'
] %}
{%- set scope_measures = [
    'sales', 'buyers', 'new_buyers', 'retained_new_buyers', 'retained_returning_buyers',
    'reactivated_buyers'
] %}
{%- set scope_rates = [
    'recruitment_rate', 'new_retention_rate', 'returning_retention_rate', 'retention_rate',
    'orders_per_buyer', 'aov'
] %}
{#- name, unit, lever, target, target_source, plan, required -#}
{%- set drivers = [
    ('sales', 'currency', none,
        'target_sales', "case when target_sales is not null then 'seed' else 'none' end",
        'implied_sales', 'cast(null as double)'),
    ('buyers', 'customers', none,
        'plan_buyers', "case when plan_buyers is not null then 'derived' else 'none' end",
        'plan_buyers', 'required_buyers'),
    ('new_buyers', 'customers', 'recruitment',
        'goal_new_buyers',
        "case when target_new_buyers is not null then 'seed'"
        ~ " when goal_new_buyers is not null then 'derived' else 'none' end",
        'plan_new_buyers', 'required_new_buyers'),
    ('recruitment_rate', 'rate', 'recruitment',
        'goal_recruitment_rate',
        "case when target_recruitment_rate is not null then 'seed'"
        ~ " when goal_recruitment_rate is not null then 'derived' else 'none' end",
        'plan_new_buyers / nullif(base_buyers, 0)', 'required_new_buyers / nullif(base_buyers, 0)'),
    ('retained_new_buyers', 'customers', none,
        'plan_retained_new_buyers', "case when plan_retained_new_buyers is not null then 'derived' else 'none' end",
        'plan_retained_new_buyers', 'cast(null as double)'),
    ('new_retention_rate', 'rate', none,
        'target_new_retention_rate',
        "case when target_new_retention_rate is not null then 'seed' else 'none' end",
        'plan_new_retention_rate', 'cast(null as double)'),
    ('retained_returning_buyers', 'customers', none,
        'plan_retained_returning_buyers',
        "case when plan_retained_returning_buyers is not null then 'derived' else 'none' end",
        'plan_retained_returning_buyers', 'cast(null as double)'),
    ('returning_retention_rate', 'rate', none,
        'target_returning_retention_rate',
        "case when target_returning_retention_rate is not null then 'seed' else 'none' end",
        'plan_returning_retention_rate', 'cast(null as double)'),
    ('retention_rate', 'rate', 'retention',
        'plan_retention_rate', "case when plan_retention_rate is not null then 'derived' else 'none' end",
        'plan_retention_rate', 'required_retention_rate'),
    ('reactivated_buyers', 'customers', none,
        'target_reactivated_buyers',
        "case when target_reactivated_buyers is not null then 'seed' else 'none' end",
        'plan_reactivated_buyers', 'cast(null as double)'),
    ('orders_per_buyer', 'orders', 'frequency',
        'target_orders_per_buyer',
        "case when target_orders_per_buyer is not null then 'seed' else 'none' end",
        'plan_orders_per_buyer', 'required_orders_per_buyer'),
    ('aov', 'currency', 'aov',
        'target_aov', "case when target_aov is not null then 'seed' else 'none' end",
        'plan_aov', 'required_aov'),
] %}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

targets as (
    select * from {{ ref('crm_targets') }}
),

gap as (
    select * from {{ ref('int_customer_group_years_decomposed') }}
),

target_scopes as (
    select
        year,
        store_id,
        {%- for driver in seed_drivers %}
        max(case when driver = '{{ driver }}' then cast(target_value as double) end) as target_{{ driver }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from targets
    group by year, store_id
),

scope_actuals as (
    select
        store_id,
        year,
        max(case when customer_group = 'all' then cast(revenue as double) end) as sales,
        max(case when customer_group = 'all' then buyers end) as buyers,
        max(case when customer_group = 'new' then buyers end) as new_buyers,
        max(case when customer_group = 'retained_new' then buyers end) as retained_new_buyers,
        max(case when customer_group = 'retained_returning' then buyers end) as retained_returning_buyers,
        max(case when customer_group = 'reactivated' then buyers end) as reactivated_buyers,
        max(recruitment_rate) as recruitment_rate,
        max(new_retention_rate) as new_retention_rate,
        max(returning_retention_rate) as returning_retention_rate,
        max(retention_rate) as retention_rate,
        max(case when customer_group = 'all' then orders_per_buyer end) as orders_per_buyer,
        max(case when customer_group = 'all' then aov end) as aov
    from gap
    group by store_id, year
),

data_years as (
    select
        min(year) as first_year,
        max(year) as last_year
    from gap
    where store_id is null
),

{# Counts of a year within the data are 0 when the scope had no buyer in it;
    rates, orders_per_buyer and aov stay null then. Outside the data: all null. #}
scoped as (
    select
        target_scopes.*,
        target_scopes.year - 1 between data_years.first_year and data_years.last_year as has_baseline,
        target_scopes.year between data_years.first_year and data_years.last_year as has_actuals,
        {%- for measure in scope_measures %}
        case
            when target_scopes.year - 1 between data_years.first_year and data_years.last_year
                then coalesce(previous_year.{{ measure }}, 0)
        end as baseline_{{ measure }},
        case
            when target_scopes.year between data_years.first_year and data_years.last_year
                then coalesce(current_year.{{ measure }}, 0)
        end as actual_{{ measure }},
        {%- endfor %}
        {%- for rate in scope_rates %}
        previous_year.{{ rate }} as baseline_{{ rate }},
        current_year.{{ rate }} as actual_{{ rate }},
        {%- endfor %}
        case
            when target_scopes.year - 1 between data_years.first_year and data_years.last_year
                then coalesce(previous_year.buyers, 0) - coalesce(previous_year.new_buyers, 0)
        end as base_returning_buyers
    from target_scopes
    cross join data_years
    left join scope_actuals as previous_year
        on
            coalesce(target_scopes.store_id, '') = coalesce(previous_year.store_id, '')
            and target_scopes.year - 1 = previous_year.year
    left join scope_actuals as current_year
        on
            coalesce(target_scopes.store_id, '') = coalesce(current_year.store_id, '')
            and target_scopes.year = current_year.year
),

{# Bases of the year's retention: last year's buyers, new and returning buyers. #}
goals as (
    select
        *,
        baseline_buyers as base_buyers,
        baseline_new_buyers as base_new_buyers,
        coalesce(target_new_buyers, target_recruitment_rate * baseline_buyers) as goal_new_buyers,
        coalesce(
            target_recruitment_rate, target_new_buyers / nullif(baseline_buyers, 0)
        ) as goal_recruitment_rate
    from scoped
),

{# plan_: target, else baseline. reference_: baseline, else target (levers). #}
plans as (
    select
        *,
        coalesce(goal_new_buyers, baseline_new_buyers) as plan_new_buyers,
        coalesce(target_new_retention_rate, baseline_new_retention_rate) as plan_new_retention_rate,
        coalesce(target_returning_retention_rate, baseline_returning_retention_rate)
            as plan_returning_retention_rate,
        coalesce(target_reactivated_buyers, baseline_reactivated_buyers) as plan_reactivated_buyers,
        coalesce(target_orders_per_buyer, baseline_orders_per_buyer) as plan_orders_per_buyer,
        coalesce(target_aov, baseline_aov) as plan_aov,
        coalesce(baseline_new_buyers, goal_new_buyers) as reference_new_buyers,
        coalesce(baseline_new_retention_rate, target_new_retention_rate) as reference_new_retention_rate,
        coalesce(baseline_returning_retention_rate, target_returning_retention_rate)
            as reference_returning_retention_rate,
        coalesce(baseline_reactivated_buyers, target_reactivated_buyers) as reference_reactivated_buyers,
        coalesce(baseline_orders_per_buyer, target_orders_per_buyer) as reference_orders_per_buyer,
        coalesce(baseline_aov, target_aov) as reference_aov
    from goals
),

{# A retention rate applied to an empty base keeps nobody, whatever the rate. #}
retained as (
    select
        *,
        case
            when base_new_buyers = 0 then 0 else plan_new_retention_rate * base_new_buyers
        end as plan_retained_new_buyers,
        case
            when base_returning_buyers = 0 then 0 else plan_returning_retention_rate * base_returning_buyers
        end as plan_retained_returning_buyers,
        case
            when base_new_buyers = 0 then 0 else reference_new_retention_rate * base_new_buyers
        end as reference_retained_new_buyers,
        case
            when base_returning_buyers = 0 then 0
            else reference_returning_retention_rate * base_returning_buyers
        end as reference_retained_returning_buyers
    from plans
),

buyers_planned as (
    select
        *,
        plan_new_buyers + plan_retained_new_buyers + plan_retained_returning_buyers + plan_reactivated_buyers
            as plan_buyers,
        (plan_retained_new_buyers + plan_retained_returning_buyers) / nullif(base_buyers, 0)
            as plan_retention_rate,
        reference_new_buyers + reference_retained_new_buyers + reference_retained_returning_buyers
        + reference_reactivated_buyers as reference_buyers
    from retained
),

implied as (
    select
        *,
        plan_buyers * plan_orders_per_buyer * plan_aov as implied_sales,
        reference_buyers * reference_orders_per_buyer * reference_aov as baseline_implied_sales,
        target_sales / nullif(reference_orders_per_buyer * reference_aov, 0) as required_buyers,
        target_sales / nullif(reference_buyers * reference_aov, 0) as required_orders_per_buyer,
        target_sales / nullif(reference_buyers * reference_orders_per_buyer, 0) as required_aov
    from buyers_planned
),

levers as (
    select
        *,
        required_buyers - reference_retained_new_buyers - reference_retained_returning_buyers
        - reference_reactivated_buyers as required_new_buyers,
        (required_buyers - reference_new_buyers - reference_reactivated_buyers) / nullif(base_buyers, 0)
            as required_retention_rate
    from implied
),

drivers as (
    {%- for name, unit, lever, target, source, plan, required in drivers %}
    select
        year,
        store_id,
        '{{ name }}' as driver,
        {{ loop.index }} as driver_order,
        '{{ unit }}' as driver_unit,
        {% if lever is none -%}
        cast(null as {{ dbt.type_string() }}) as lever,
        {%- else -%}
        '{{ lever }}' as lever,
        {%- endif %}
        cast(baseline_{{ name }} as double) as baseline_value,
        cast({{ target }} as double) as target_value,
        {{ source }} as target_source,
        cast({{ plan }} as double) as plan_value,
        cast(actual_{{ name }} as double) as actual_value,
        cast({{ required }} as double) as required_value,
        has_baseline,
        has_actuals,
        target_sales,
        implied_sales,
        baseline_implied_sales
    from levers
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        cast(year as {{ dbt.type_int() }}) as year,  -- noqa: RF04
        {{ crm_fiscal_year_start('year') }} as year_start_date,
        {{ crm_fiscal_year_end('year') }} as year_end_date,
        store_id,
        driver,
        cast(driver_order as {{ dbt.type_int() }}) as driver_order,
        driver_unit,
        lever,
        baseline_value,
        target_value,
        target_source,
        plan_value,
        actual_value,
        target_value - actual_value as gap_value,
        actual_value / nullif(target_value, 0) as achievement_ratio,
        required_value,
        case
            when required_value is null then null
            when driver in ('retention_rate', 'new_retention_rate', 'returning_retention_rate')
                then required_value >= 0 and required_value <= 1
            when driver in ('orders_per_buyer', 'aov') then required_value > 0
            else required_value >= 0
        end as is_required_feasible,
        cast(target_sales as decimal(18, 2)) as sales_target,
        cast(implied_sales as decimal(18, 2)) as implied_sales,
        cast(implied_sales - target_sales as decimal(18, 2)) as implied_sales_gap,
        cast(baseline_implied_sales as decimal(18, 2)) as baseline_implied_sales,
        has_baseline,
        has_actuals,
        {{ crm_fiscal_year_end('year') }} <= {{ crm_as_of_date() }} as is_complete,
        {{ crm_as_of_date() }} as as_of_date
    from drivers
)

select * from final
