-- One-year CRM target sheet, the page a CRM manager presents: (1) the sales target
-- and what the driver plan implies, (2) each driver's last year / target / actual /
-- gap and what each lever alone would need, (3) the customer groups behind the
-- year's sales (buyers x orders per buyer x AOV), (4) the sales bridge from last
-- year: buyer, frequency and AOV effects per group (LMDI, adding up exactly).
-- Vars: target_sheet_year (default: the latest year in seed crm_targets) and
-- target_sheet_store_id (default: none = the whole business).
-- Run: dbt show --select planning_crm_target_sheet --limit 200
--   (or dbt compile --select planning_crm_target_sheet and run the compiled SQL).

{%- set sheet_year = var('target_sheet_year', none) %}
{%- set sheet_store = var('target_sheet_store_id', none) %}
{%- set store_condition = 'store_id is null' if sheet_store is none
    else "store_id = '" ~ (sheet_store | string | replace("'", "''")) ~ "'" %}
{%- set year_sql = 'max(year)' if sheet_year is none else (sheet_year | int | string) %}

with

targets as (
    select * from {{ ref('crm_targets') }}
),

gap_targets as (
    select * from {{ ref('gap_targets') }}
),

gap_analysis as (
    select * from {{ ref('gap_analysis') }}
),

sheet_year as (
    select {{ year_sql }} as target_year
    from targets
),

drivers as (
    select gap_targets.*
    from gap_targets
    inner join sheet_year
        on gap_targets.year = sheet_year.target_year
    where gap_targets.{{ store_condition }}
),

groups as (
    select gap_analysis.*
    from gap_analysis
    inner join sheet_year
        on gap_analysis.year = sheet_year.target_year
    where gap_analysis.{{ store_condition }}
),

headline as (
    select
        1 as section_order,
        'sales' as section,
        line_order,
        item,
        'currency' as unit,
        cast(null as double) as last_year_value,
        amount as target_value,
        cast(null as double) as actual_value,
        cast(null as double) as gap_value,
        cast(null as double) as required_alone_value,
        note
    from (
        select
            1 as line_order,
            'sales target' as item,
            cast(max(sales_target) as double) as amount,
            'seed crm_targets' as note
        from drivers
        union all
        select
            2 as line_order,
            'sales implied by the driver plan' as item,
            cast(max(implied_sales) as double) as amount,
            'buyers x orders per buyer x AOV, drivers at target (else last year)' as note
        from drivers
        union all
        select
            3 as line_order,
            'plan minus target' as item,
            cast(max(implied_sales_gap) as double) as amount,
            'negative: the driver targets do not reach the sales target' as note
        from drivers
        union all
        select
            4 as line_order,
            'sales at last year''s drivers' as item,
            cast(max(baseline_implied_sales) as double) as amount,
            'momentum: every driver at last year''s value' as note
        from drivers
    ) as headline_lines
),

driver_lines as (
    select
        2 as section_order,
        'drivers' as section,
        driver_order as line_order,
        driver as item,
        driver_unit as unit,
        round(baseline_value, 4) as last_year_value,
        round(target_value, 4) as target_value,
        round(actual_value, 4) as actual_value,
        round(gap_value, 4) as gap_value,
        round(required_value, 4) as required_alone_value,
        case
            when lever is not null and required_value is not null and not is_required_feasible
                then 'lever ' || lever || ': out of reach alone'
            when lever is not null then 'lever ' || lever
            when target_source = 'derived' then 'derived from the plan'
            when target_source = 'none' then 'no target: planned at last year''s value'
            else 'target from seed'
        end as note
    from drivers
),

{%- set group_measures = [
    ('buyers', 'customers', 'previous_buyers'),
    ('orders_per_buyer', 'orders', 'previous_orders_per_buyer'),
    ('aov', 'currency', 'previous_aov'),
    ('revenue', 'currency', 'previous_revenue'),
] %}

group_lines as (
    {%- for measure, unit, previous in group_measures %}
    select
        3 as section_order,
        'customer groups' as section,
        case customer_group
            when 'new' then 10
            when 'retained_new' then 20
            when 'retained_returning' then 30
            when 'reactivated' then 40
            else 50
        end + {{ loop.index }} as line_order,
        customer_group || ': ' || '{{ measure }}' as item,
        '{{ unit }}' as unit,
        round(cast({{ previous }} as double), 4) as last_year_value,
        cast(null as double) as target_value,
        round(cast({{ measure }} as double), 4) as actual_value,
        cast(null as double) as gap_value,
        cast(null as double) as required_alone_value,
        case
            when '{{ measure }}' = 'buyers'
                then 'repurchase rate ' || cast(round(coalesce(repurchase_rate, 0), 3) as {{ dbt.type_string() }})
        end as note
    from groups
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

bridge_lines as (
    select
        4 as section_order,
        'sales bridge' as section,
        0 as line_order,
        'last year''s sales' as item,
        'currency' as unit,
        cast(null as double) as last_year_value,
        cast(null as double) as target_value,
        cast(previous_revenue as double) as actual_value,
        cast(null as double) as gap_value,
        cast(null as double) as required_alone_value,
        cast(null as {{ dbt.type_string() }}) as note
    from groups
    where customer_group = 'all'
    {%- for effect in ['buyers', 'frequency', 'aov'] %}
    union all
    select
        4 as section_order,
        'sales bridge' as section,
        case customer_group
            when 'new' then 10
            when 'retained_new' then 20
            when 'retained_returning' then 30
            when 'reactivated' then 40
            else 50
        end + {{ loop.index }} as line_order,
        customer_group || ': {{ effect }} effect' as item,
        'currency' as unit,
        cast(null as double) as last_year_value,
        cast(null as double) as target_value,
        round({{ effect }}_effect, 2) as actual_value,
        cast(null as double) as gap_value,
        cast(null as double) as required_alone_value,
        case when customer_group = 'all' then 'sum over the groups' end as note
    from groups
    {%- endfor %}
    union all
    select
        4 as section_order,
        'sales bridge' as section,
        99 as line_order,
        'this year''s sales' as item,
        'currency' as unit,
        cast(null as double) as last_year_value,
        cast(null as double) as target_value,
        cast(revenue as double) as actual_value,
        cast(null as double) as gap_value,
        cast(null as double) as required_alone_value,
        case when not is_complete then 'year to date: the year is not complete' end as note
    from groups
    where customer_group = 'all'
),

final as (
    select * from headline
    union all
    select * from driver_lines
    union all
    select * from group_lines
    union all
    select * from bridge_lines
)

select
    section,
    item,
    unit,
    last_year_value,
    target_value,
    actual_value,
    gap_value,
    required_alone_value,
    note
from final
order by section_order, line_order
