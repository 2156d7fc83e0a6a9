{#- The lifecycle stage intervals of customers (int_lifecycle_intervals_derived) in
    the CRM programme's projects (seed crm_programs maps customer_type x
    lifecycle_stage to a program_id; prospects and unmapped segments are in no
    project). One row per interval in a project, with:
      is_program_entry  the customer's previous interval was in another project or
                        in none (a first purchase, a move to the next stage of
                        another project, a purchase that sends a lapsed customer
                        back to an active project)
      is_program_exit   the next interval is in another project; exit_date is the
                        first day outside (valid_to + 1)
      stage_days        days of the stage a customer passing through it spends in
                        it (var lifecycle_boundaries; the open lost stage counts var
                        program_lost_stage_budget_days)
      monthly_contact_cost  what the contact policy (seed contact_policy) spends on
                        the customer in a month of the stage: SMS per month x
                        contact_sms_unit_cost when the member accepts SMS, plus
                        emails per month x contact_email_unit_cost when the member
                        accepts email (today's opt-ins, as contact_plan).
    A table: crm_program_weekly reads it three times and the lag / lead run over
    every interval. -#}
{{ config(materialized='table') }}
{%- set sms_unit_cost = var('contact_sms_unit_cost', 0.05) -%}
{%- set email_unit_cost = var('contact_email_unit_cost', 0.01) -%}
{%- set lost_days = var('program_lost_stage_budget_days') | int -%}

with

intervals as (
    select * from {{ ref('int_lifecycle_intervals_derived') }}
),

programs as (
    select * from {{ ref('crm_programs') }}
),

stages as (
    select * from {{ ref('int_lifecycle_stages_listed') }}
),

policy as (
    select * from {{ ref('contact_policy') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

mapped as (
    select
        intervals.customer_id,
        intervals.customer_type,
        intervals.lifecycle_stage,
        intervals.valid_from,
        intervals.valid_to,
        programs.program_id
    from intervals
    left join programs
        on
            intervals.customer_type = programs.customer_type
            and intervals.lifecycle_stage = programs.lifecycle_stage
),

sequenced as (
    select
        *,
        lag(program_id) over (partition by customer_id order by valid_from) as previous_program_id,
        lead(program_id) over (partition by customer_id order by valid_from) as next_program_id,
        count(*) over (partition by customer_id order by valid_from rows between unbounded preceding and current row)
            as interval_number
    from mapped
),

final as (
    select
        sequenced.customer_id,
        sequenced.program_id,
        sequenced.customer_type,
        sequenced.lifecycle_stage,
        sequenced.valid_from,
        sequenced.valid_to,
        coalesce(
            sequenced.interval_number = 1 or sequenced.previous_program_id is null
            or sequenced.previous_program_id <> sequenced.program_id,
            false
        ) as is_program_entry,
        coalesce(
            sequenced.valid_to is not null
            and (sequenced.next_program_id is null or sequenced.next_program_id <> sequenced.program_id),
            false
        ) as is_program_exit,
        case
            when
                sequenced.valid_to is not null
                and (sequenced.next_program_id is null or sequenced.next_program_id <> sequenced.program_id)
                then {{ crm_customer_add_days(1, 'sequenced.valid_to') }}
        end as exit_date,
        cast(coalesce(stages.max_days - stages.min_days, {{ lost_days }}) as {{ dbt.type_int() }}) as stage_days,
        cast(
            coalesce(policy.sms_per_month, 0) * cast({{ sms_unit_cost }} as decimal(18, 4))
            * (case when customer_state.sms_opt_in then 1 else 0 end)
            + coalesce(policy.emails_per_month, 0) * cast({{ email_unit_cost }} as decimal(18, 4))
            * (case when customer_state.email_opt_in then 1 else 0 end)
            as decimal(18, 4)
        ) as monthly_contact_cost
    from sequenced
    left join stages
        on sequenced.lifecycle_stage = stages.lifecycle_stage
    left join policy
        on
            sequenced.customer_type = policy.customer_type
            and sequenced.lifecycle_stage = policy.lifecycle_stage
    left join customer_state
        on sequenced.customer_id = customer_state.customer_id
    where sequenced.program_id is not null
)

select * from final
