{#- The CRM programme week by week (docs/definitions.md#crm-programme): one row per
    project of seed crm_programs x week (Monday to Sunday) from the first
    purchase's week to the week of as_of_date.
    - Scope: customers whose lifecycle interval (int_program_intervals_mapped,
      built on int_lifecycle_intervals_derived) is in the project; at_start on the
      day before the week's Monday, at_end on the week's last day (as_of_date for
      the current week). at_end = at_start + entering - leaving.
    - KPI: customers in the project at the week's start who bought in the week
      (int_customer_weeks_grouped); kpi_kind names what that purchase is. Its
      baseline is the project's own pooled rate of the baseline_weeks weeks before
      (null until that many weeks exist).
    - Contact budget: for every customer reaching a stage of the project in the
      week, the contact policy's monthly cost for that customer times the stage's
      months (stage_days x 12 / 365): the plan for the customer's passage.
    - Campaigns: the campaigns tagged with the project (int_program_campaigns_measured),
      in the week of their first contact, with campaign_performance's measures and
      an ROI over those with a control group. -#}
{%- set lost_boundary = crm_lifecycle_boundaries()[-1] -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

programs as (
    select * from {{ ref('crm_programs') }}
),

program_intervals as (
    select * from {{ ref('int_program_intervals_mapped') }}
),

customer_weeks as (
    select * from {{ ref('int_customer_weeks_grouped') }}
),

program_campaigns as (
    select * from {{ ref('int_program_campaigns_measured') }}
),

weeks as (
    {{ crm_period_spine('week', '(select first_purchase_date from build_context)', crm_as_of_date()) | indent(4) }}
),

projects as (
    select
        program_id,
        max(program_name) as program_name,
        max(objective) as objective,
        max(kpi_kind) as kpi_kind,
        max(baseline_weeks) as baseline_weeks
    from programs
    group by program_id
),

grid as (
    select
        projects.program_id,
        projects.program_name,
        projects.objective,
        projects.kpi_kind,
        projects.baseline_weeks,
        weeks.period_index as week_index,
        weeks.period_start as week_start,
        weeks.period_end as week_end
    from projects
    cross join weeks
),

entries as (
    select
        program_id,
        {{ crm_period_start('week', 'valid_from') }} as week_start,
        count(*) as customers_entering
    from program_intervals
    where is_program_entry
    group by
        program_id,
        {{ crm_period_start('week', 'valid_from') }}
),

exits as (
    select
        program_id,
        {{ crm_period_start('week', 'exit_date') }} as week_start,
        count(*) as customers_leaving
    from program_intervals
    where is_program_exit
    group by
        program_id,
        {{ crm_period_start('week', 'exit_date') }}
),

{# Budget in 1/10000 of the money unit, an exact integer on both engines. #}
budgets as (
    select
        program_id,
        {{ crm_period_start('week', 'valid_from') }} as week_start,
        sum(cast(monthly_contact_cost * stage_days * 10000 as {{ dbt.type_bigint() }})) as budget_units_month_days
    from program_intervals
    group by
        program_id,
        {{ crm_period_start('week', 'valid_from') }}
),

conversions as (
    select
        program_intervals.program_id,
        customer_weeks.week_start,
        count(*) as kpi_customers,
        sum(customer_weeks.revenue) as kpi_revenue
    from customer_weeks
    inner join program_intervals
        on
            customer_weeks.customer_id = program_intervals.customer_id
            and program_intervals.valid_from <= {{ crm_customer_add_days(-1, 'customer_weeks.week_start') }}
            and (
                program_intervals.valid_to is null
                or program_intervals.valid_to >= {{ crm_customer_add_days(-1, 'customer_weeks.week_start') }}
            )
    group by
        program_intervals.program_id,
        customer_weeks.week_start
),

campaigns_started as (
    select
        program_id,
        {{ crm_period_start('week', 'first_contact_date') }} as week_start,
        count(*) as campaigns_started,
        sum(contacted) as campaign_contacts,
        sum(responders) as campaign_responders,
        sum(incremental_responders) as campaign_incremental_responders,
        sum(incremental_revenue) as campaign_incremental_revenue,
        sum(cost) as campaign_cost,
        sum(case when has_control_group then incremental_revenue end) as controlled_incremental_revenue,
        sum(case when has_control_group then cost end) as controlled_cost
    from program_campaigns
    group by
        program_id,
        {{ crm_period_start('week', 'first_contact_date') }}
),

flows as (
    select
        grid.*,
        coalesce(entries.customers_entering, 0) as customers_entering,
        coalesce(exits.customers_leaving, 0) as customers_leaving,
        coalesce(budgets.budget_units_month_days, 0) as budget_units_month_days,
        coalesce(conversions.kpi_customers, 0) as kpi_customers,
        coalesce(conversions.kpi_revenue, 0) as kpi_revenue
    from grid
    left join entries
        on grid.program_id = entries.program_id and grid.week_start = entries.week_start
    left join exits
        on grid.program_id = exits.program_id and grid.week_start = exits.week_start
    left join budgets
        on grid.program_id = budgets.program_id and grid.week_start = budgets.week_start
    left join conversions
        on grid.program_id = conversions.program_id and grid.week_start = conversions.week_start
),

scoped as (
    select
        *,
        coalesce(sum(customers_entering - customers_leaving) over (
            partition by program_id
            order by week_start
            rows between unbounded preceding and 1 preceding
        ), 0) as customers_at_start
    from flows
),

baselines as (
    select
        current_week.program_id,
        current_week.week_start,
        count(*) as baseline_weeks_found,
        sum(prior_week.kpi_customers) as baseline_kpi_customers,
        sum(prior_week.customers_at_start) as baseline_customers_at_start
    from scoped as current_week
    inner join scoped as prior_week
        on
            current_week.program_id = prior_week.program_id
            and current_week.week_index - current_week.baseline_weeks <= prior_week.week_index
            and current_week.week_index > prior_week.week_index
    group by current_week.program_id, current_week.week_start
),

rated as (
    select
        scoped.*,
        cast(scoped.kpi_customers as double) / nullif(scoped.customers_at_start, 0) as kpi_rate,
        case
            when baselines.baseline_weeks_found = scoped.baseline_weeks
                then
                    cast(baselines.baseline_kpi_customers as double)
                    / nullif(baselines.baseline_customers_at_start, 0)
        end as baseline_kpi_rate
    from scoped
    left join baselines
        on scoped.program_id = baselines.program_id and scoped.week_start = baselines.week_start
),

final as (
    select
        rated.program_id,
        rated.week_start,
        rated.week_end,
        rated.program_name,
        rated.objective,
        rated.kpi_kind,
        cast(rated.customers_at_start as {{ dbt.type_bigint() }}) as customers_at_start,
        cast(rated.customers_entering as {{ dbt.type_bigint() }}) as customers_entering,
        cast(rated.customers_leaving as {{ dbt.type_bigint() }}) as customers_leaving,
        cast(
            rated.customers_at_start + rated.customers_entering - rated.customers_leaving
            as {{ dbt.type_bigint() }}
        ) as customers_at_end,
        cast(rated.kpi_customers as {{ dbt.type_bigint() }}) as kpi_customers,
        rated.kpi_rate,
        cast(rated.kpi_revenue as decimal(18, 2)) as kpi_revenue,
        cast(rated.baseline_weeks as {{ dbt.type_int() }}) as baseline_weeks,
        rated.baseline_kpi_rate,
        rated.baseline_kpi_rate * rated.customers_at_start as expected_kpi_customers,
        rated.kpi_customers - rated.baseline_kpi_rate * rated.customers_at_start as kpi_customers_vs_baseline,
        rated.kpi_rate - rated.baseline_kpi_rate as kpi_rate_lift,
        coalesce(
            {{ crm_customer_money_div('rated.budget_units_month_days * 12', 365 * 100) }},
            cast(0 as decimal(18, 2))
        ) as contact_budget,
        cast(coalesce(campaigns_started.campaigns_started, 0) as {{ dbt.type_bigint() }}) as campaigns_started,
        cast(coalesce(campaigns_started.campaign_contacts, 0) as {{ dbt.type_bigint() }}) as campaign_contacts,
        cast(coalesce(campaigns_started.campaign_responders, 0) as {{ dbt.type_bigint() }}) as campaign_responders,
        campaigns_started.campaign_incremental_responders,
        cast(campaigns_started.campaign_incremental_revenue as decimal(18, 2)) as campaign_incremental_revenue,
        cast(coalesce(campaigns_started.campaign_cost, 0) as decimal(18, 2)) as campaign_cost,
        (
            cast(campaigns_started.controlled_incremental_revenue as double)
            - cast(campaigns_started.controlled_cost as double)
        )
        / nullif(cast(campaigns_started.controlled_cost as double), 0) as campaign_roi,
        {{ crm_customer_add_days(-1, 'rated.week_start') }}
        >= {{ crm_customer_add_days(lost_boundary, crm_history_start_date()) }} as has_full_history,
        rated.week_end <= {{ crm_as_of_date() }} as is_complete,
        {{ crm_as_of_date() }} as as_of_date
    from rated
    left join campaigns_started
        on rated.program_id = campaigns_started.program_id and rated.week_start = campaigns_started.week_start
)

select * from final
