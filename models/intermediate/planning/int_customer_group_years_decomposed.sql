{#- The gap analysis (docs/definitions.md#gap-analysis), computed for the gap_analysis mart
    and gap_targets: one row per fiscal year x scope (store_id
    null = whole business, else one store, with groups from the history at that
    store) x customer_group (new | retained_new | retained_returning | reactivated |
    all). Per group: buyers, orders_per_buyer, aov, revenue (sum of the groups'
    buyers x orders_per_buyer x aov = revenue), repurchase_rate; per scope and year:
    new_retention_rate, returning_retention_rate, retention_rate, recruitment_rate;
    and the change in revenue since the previous year split into buyer, frequency
    and AOV effects with LMDI (the 'all' row holds the sums of its groups' effects);
    on 'all' rows the year's sales target (seed crm_targets) and its gap (target -
    revenue). Every driver's target and gap: gap_targets.
    Every group appears for every year from the scope's first fiscal year to the one
    holding as_of_date (0 buyers when empty). Complete years are period_type 'year';
    a year not complete at as_of_date is period_type 'ytd': its year to date against
    the same days of the year before (previous_* and the LMDI effects), while its
    rates keep the whole previous year as their base (the share of last year's
    buyers who came back so far). has_full_history: the whole previous fiscal year is
    on or after history_start_date. #}
{#- A table: the gap_analysis mart and gap_targets both read it. -#}
{{ config(materialized='table') }}

{%- set groups = ['new', 'retained_new', 'retained_returning', 'reactivated'] %}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

buyer_years as (
    select * from {{ ref('int_buyer_years_grouped') }}
),

targets as (
    select * from {{ ref('crm_targets') }}
),

sales_targets as (
    select
        year as fiscal_year,
        store_id,
        max(target_value) as target_revenue
    from targets
    where driver = 'sales'
    group by year, store_id
),

group_years as (
    select
        store_id,
        fiscal_year,
        period_type,
        customer_group,
        count(*) as buyers,
        sum(orders_count) as orders_count,
        sum(occasions_count) as occasions_count,
        sum(case when occasions_count >= 2 then 1 else 0 end) as repeat_buyers,
        sum(revenue) as revenue
    from buyer_years
    group by store_id, fiscal_year, period_type, customer_group
    union all
    select
        store_id,
        fiscal_year,
        period_type,
        'all' as customer_group,
        count(*) as buyers,
        sum(orders_count) as orders_count,
        sum(occasions_count) as occasions_count,
        sum(case when occasions_count >= 2 then 1 else 0 end) as repeat_buyers,
        sum(revenue) as revenue
    from buyer_years
    group by store_id, fiscal_year, period_type
),

scopes as (
    select
        store_id,
        min(fiscal_year) as first_year
    from buyer_years
    where period_type = 'year'
    group by store_id
),

data_years as (
    select
        min(first_year) as first_year,
        {{ crm_fiscal_year(crm_as_of_date()) }} as last_year,
        {{ crm_fiscal_year_end(crm_fiscal_year(crm_as_of_date())) }} > {{ crm_as_of_date() }}
            as is_last_year_incomplete
    from scopes
),

year_spine as (
    {{ crm_fiscal_year_spine('(select first_year from data_years)', '(select last_year from data_years)') | indent(4) }}
),

years as (
    select
        data_years.first_year,
        data_years.last_year,
        data_years.is_last_year_incomplete,
        year_spine.fiscal_year
    from data_years
    cross join year_spine
),

customer_groups as (
    {%- for customer_group in groups + ['all'] %}
    select '{{ customer_group }}' as customer_group
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

period_types as (
    select 'year' as period_type
    union all
    select 'ytd' as period_type
),

{# 'ytd' rows only for the incomplete last year and the year before (its base). #}
grid as (
    select
        scopes.store_id,
        years.fiscal_year,
        period_types.period_type,
        customer_groups.customer_group,
        years.fiscal_year > years.first_year as has_previous_year,
        case
            when period_types.period_type = 'ytd' then years.fiscal_year = years.last_year
            else not (years.fiscal_year = years.last_year and years.is_last_year_incomplete)
        end as is_reported
    from scopes
    inner join years
        on scopes.first_year <= years.fiscal_year
    cross join period_types
    cross join customer_groups
    where
        period_types.period_type = 'year'
        or (years.is_last_year_incomplete and years.fiscal_year >= years.last_year - 1)
),

measured as (
    select
        grid.store_id,
        grid.fiscal_year,
        grid.period_type,
        grid.is_reported,
        grid.has_previous_year,
        grid.customer_group,
        coalesce(group_years.buyers, 0) as buyers,
        coalesce(group_years.orders_count, 0) as orders_count,
        coalesce(group_years.occasions_count, 0) as occasions_count,
        coalesce(group_years.repeat_buyers, 0) as repeat_buyers,
        coalesce(group_years.revenue, 0) as revenue
    from grid
    left join group_years
        on
            coalesce(grid.store_id, '') = coalesce(group_years.store_id, '')
            and grid.fiscal_year = group_years.fiscal_year
            and grid.period_type = group_years.period_type
            and grid.customer_group = group_years.customer_group
),

{# The grid holds consecutive years per scope and group, so lag() is the previous
    year; before a store's first year (but within the data) it had nothing: 0. #}
with_previous as (
    select
        *,
        case
            when has_previous_year
                then coalesce(
                    lag(buyers) over (partition by store_id, customer_group, period_type order by fiscal_year), 0
                )
        end as previous_buyers,
        case
            when has_previous_year
                then coalesce(
                    lag(orders_count) over (partition by store_id, customer_group, period_type order by fiscal_year), 0
                )
        end as previous_orders_count,
        case
            when has_previous_year
                then coalesce(
                    lag(revenue) over (partition by store_id, customer_group, period_type order by fiscal_year), 0
                )
        end as previous_revenue
    from measured
),

scope_years as (
    select
        store_id,
        fiscal_year,
        {%- for customer_group in groups + ['all'] %}
        sum(case when customer_group = '{{ customer_group }}' then buyers else 0 end)
            as {{ customer_group }}_buyers,
        sum(case when customer_group = '{{ customer_group }}' then previous_buyers else 0 end)
            as previous_{{ customer_group }}_buyers,
        {%- endfor %}
        max(case when has_previous_year then 1 else 0 end) as has_previous_year
    from with_previous
    where period_type = 'year'
    group by store_id, fiscal_year
),

scope_rates as (
    select
        store_id,
        fiscal_year,
        case when has_previous_year = 1 then previous_new_buyers end as retention_base_new_buyers,
        case
            when has_previous_year = 1 then previous_all_buyers - previous_new_buyers
        end as retention_base_returning_buyers,
        case when has_previous_year = 1 then previous_all_buyers end as retention_base_buyers,
        case
            when has_previous_year = 1
                then cast(retained_new_buyers as double) / nullif(previous_new_buyers, 0)
        end as new_retention_rate,
        case
            when has_previous_year = 1
                then
                    cast(retained_returning_buyers as double)
                    / nullif(previous_all_buyers - previous_new_buyers, 0)
        end as returning_retention_rate,
        case
            when has_previous_year = 1
                then
                    cast(retained_new_buyers + retained_returning_buyers as double)
                    / nullif(previous_all_buyers, 0)
        end as retention_rate,
        case
            when has_previous_year = 1
                then cast(new_buyers as double) / nullif(previous_all_buyers, 0)
        end as recruitment_rate
    from scope_years
),

group_ratios as (
    select
        *,
        cast(orders_count as double) / nullif(buyers, 0) as orders_per_buyer,
        cast(revenue as double) / nullif(orders_count, 0) as aov,
        cast(previous_orders_count as double) / nullif(previous_buyers, 0) as previous_orders_per_buyer,
        cast(previous_revenue as double) / nullif(previous_orders_count, 0) as previous_aov
    from with_previous
),

group_effects as (
    select
        *,
        case
            when has_previous_year and customer_group <> 'all'
                then {{ crm_lmdi_effect(
                    'revenue', 'previous_revenue', 'buyers', 'previous_buyers', absorbs_appearance=true
                ) | indent(16) }}
        end as group_buyers_effect,
        case
            when has_previous_year and customer_group <> 'all'
                then {{ crm_lmdi_effect(
                    'revenue', 'previous_revenue', 'orders_per_buyer', 'previous_orders_per_buyer'
                ) | indent(16) }}
        end as group_frequency_effect,
        case
            when has_previous_year and customer_group <> 'all'
                then {{ crm_lmdi_effect('revenue', 'previous_revenue', 'aov', 'previous_aov') | indent(16) }}
        end as group_aov_effect
    from group_ratios
),

effects as (
    select
        *,
        case
            when customer_group = 'all'
                then sum(group_buyers_effect) over (partition by store_id, fiscal_year, period_type)
            else group_buyers_effect
        end as buyers_effect,
        case
            when customer_group = 'all'
                then sum(group_frequency_effect) over (partition by store_id, fiscal_year, period_type)
            else group_frequency_effect
        end as frequency_effect,
        case
            when customer_group = 'all'
                then sum(group_aov_effect) over (partition by store_id, fiscal_year, period_type)
            else group_aov_effect
        end as aov_effect,
        sum(case when customer_group = 'all' then buyers else 0 end)
            over (partition by store_id, fiscal_year, period_type)
            as scope_buyers,
        sum(case when customer_group = 'all' then revenue else 0 end)
            over (partition by store_id, fiscal_year, period_type)
            as scope_revenue
    from group_effects
),

final as (
    select
        cast(effects.fiscal_year as {{ dbt.type_int() }}) as year,  -- noqa: RF04
        {{ crm_fiscal_year_start('effects.fiscal_year') }} as year_start_date,
        {{ crm_fiscal_year_end('effects.fiscal_year') }} as year_end_date,
        effects.store_id,
        effects.customer_group,
        effects.period_type,
        cast(effects.buyers as {{ dbt.type_bigint() }}) as buyers,
        cast(effects.orders_count as {{ dbt.type_bigint() }}) as orders_count,
        cast(effects.occasions_count as {{ dbt.type_bigint() }}) as occasions_count,
        cast(effects.repeat_buyers as {{ dbt.type_bigint() }}) as repeat_buyers,
        effects.orders_per_buyer,
        effects.aov,
        cast(effects.revenue as decimal(18, 2)) as revenue,
        cast(effects.repeat_buyers as double) / nullif(effects.buyers, 0) as repurchase_rate,
        cast(effects.buyers as double) / nullif(effects.scope_buyers, 0) as buyer_share,
        cast(effects.revenue as double) / nullif(effects.scope_revenue, 0) as revenue_share,
        cast(scope_rates.retention_base_buyers as {{ dbt.type_bigint() }}) as retention_base_buyers,
        cast(scope_rates.retention_base_new_buyers as {{ dbt.type_bigint() }}) as retention_base_new_buyers,
        cast(scope_rates.retention_base_returning_buyers as {{ dbt.type_bigint() }})
            as retention_base_returning_buyers,
        scope_rates.new_retention_rate,
        scope_rates.returning_retention_rate,
        scope_rates.retention_rate,
        scope_rates.recruitment_rate,
        effects.has_previous_year,
        {{ crm_history_start_date() }}
        <= {{ crm_fiscal_year_start('effects.fiscal_year - 1') }} as has_full_history,
        cast(effects.previous_buyers as {{ dbt.type_bigint() }}) as previous_buyers,
        cast(effects.previous_orders_count as {{ dbt.type_bigint() }}) as previous_orders_count,
        effects.previous_orders_per_buyer,
        effects.previous_aov,
        cast(effects.previous_revenue as decimal(18, 2)) as previous_revenue,
        cast(effects.revenue - effects.previous_revenue as decimal(18, 2)) as revenue_change,
        effects.buyers_effect,
        effects.frequency_effect,
        effects.aov_effect,
        cast(sales_targets.target_revenue as decimal(18, 2)) as target_revenue,
        cast(sales_targets.target_revenue - effects.revenue as decimal(18, 2)) as revenue_gap,
        {{ crm_fiscal_year_end('effects.fiscal_year') }} <= {{ crm_as_of_date() }} as is_complete,
        {{ crm_as_of_date() }} as as_of_date
    from effects
    inner join scope_rates
        on
            coalesce(effects.store_id, '') = coalesce(scope_rates.store_id, '')
            and effects.fiscal_year = scope_rates.fiscal_year
    left join sales_targets
        on
            coalesce(effects.store_id, '') = coalesce(sales_targets.store_id, '')
            and effects.fiscal_year = sales_targets.fiscal_year
            and effects.customer_group = 'all'
    where effects.is_reported
)

select * from final
