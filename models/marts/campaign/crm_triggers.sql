{#- The day's "moments of truth" for the CRM team (issue 7): one row per member x
    trigger as of as_of_date.
      unpaid_order             orders still 'created' placed in the last
                               trigger_unpaid_order_days days (as_of_date included)
      full_month_gift          new customers whose only purchase occasion was exactly
                               trigger_full_month_days days ago
      birthday                 next birthday within trigger_birthday_days days
                               (0 = today)
      near_tier_upgrade        member tier is_near_upgrade
      tier_downgrade_risk      member tier is_downgrade_risk
      intent_without_purchase  a visit / favorite / cart / inquiry event in the last
                               trigger_intent_days days and no purchase since the
                               day of the latest one
      overdue_high_value       high-value customers (contact_high_value_tiers) whose
                               purchase cycle is overdue or alert
      repurchase_prompt        customers whose last purchase was exactly N days ago,
                               N in trigger_repurchase_prompt_days (45, 90, 140)
      holiday_care             customers, when a holiday of seed holidays falls within
                               trigger_holiday_days days (as_of_date included; the
                               nearest holiday)
      points_expiring          members with points expiring within
                               points_expiring_days days (int_points_customers_summarized)
    Each row carries the trigger's suggested action, the member's contact policy
    (objective and activities of the member's lifecycle segment) and whether the
    member can be reached (an opt-in); preferred_channel is sms when opted in,
    else email; policy_channel is the channel the segment's contact policy uses
    (sms when it sends SMS and the member opted in, else email likewise). unpaid_order and intent_without_purchase come from raw activity
    (int_member_signals_detected), the others from the customer state
    (int_customer_state). -#}
{%- set full_month_days = var('trigger_full_month_days', 30) | int -%}
{%- set birthday_days = var('trigger_birthday_days', 30) | int -%}
{%- set high_value_tiers = var('contact_high_value_tiers', ['top', 'high']) -%}
{%- set high_value_list = "'" ~ (high_value_tiers | join("', '")) ~ "'" -%}
{%- set prompt_days = var('trigger_repurchase_prompt_days') | map('int') | list -%}
{%- set holiday_days = var('trigger_holiday_days') | int -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

member_signals as (
    select * from {{ ref('int_member_signals_detected') }}
),

policy as (
    select * from {{ ref('contact_policy') }}
),

holidays as (
    select * from {{ ref('holidays') }}
),

points as (
    select * from {{ ref('int_points_customers_summarized') }}
),

trigger_actions as (
    select
        'unpaid_order' as trigger_type,
        'payment reminder with a link to the unpaid order' as suggested_action
    union all
    select
        'full_month_gift' as trigger_type,
        'full-month gift to invite the second purchase' as suggested_action
    union all
    select
        'birthday' as trigger_type,
        'birthday greeting with the birthday gift' as suggested_action
    union all
    select
        'near_tier_upgrade' as trigger_type,
        'show how little spend is left to the next tier' as suggested_action
    union all
    select
        'tier_downgrade_risk' as trigger_type,
        'remind the member what keeps the current tier' as suggested_action
    union all
    select
        'intent_without_purchase' as trigger_type,
        'follow up on the products the member looked at' as suggested_action
    union all
    select
        'overdue_high_value' as trigger_type,
        'personal repurchase call or message from the home counter' as suggested_action
    union all
    select
        'repurchase_prompt' as trigger_type,
        'repurchase reminder with the offer of the customer''s lifecycle segment' as suggested_action
    union all
    select
        'holiday_care' as trigger_type,
        'holiday greeting and care message, no hard sell' as suggested_action
    union all
    select
        'points_expiring' as trigger_type,
        'remind the member to use the points before they expire' as suggested_action
),

full_month_gifts as (
    select
        customer_id,
        'full_month_gift' as trigger_type,
        first_purchase_date as event_date,
        revenue as trigger_amount,
        'day {{ full_month_days }} after the first purchase, no second one' as trigger_detail
    from customer_state
    where
        occasions_count = 1
        and first_purchase_date = {{ crm_customer_add_days(-full_month_days, crm_as_of_date()) }}
),

birthdays as (
    select
        customer_id,
        'birthday' as trigger_type,
        next_birthday_date as event_date,
        cast(null as decimal(18, 2)) as trigger_amount,
        {{ dbt.concat([
            "'in '",
            dbt.cast(dbt.datediff(crm_as_of_date(), 'next_birthday_date', 'day'), dbt.type_string()),
            "' day(s)'",
        ]) }} as trigger_detail
    from customer_state
    where
        is_member
        and next_birthday_date < {{ crm_customer_add_days(birthday_days, crm_as_of_date()) }}
),

near_upgrades as (
    select
        customer_id,
        'near_tier_upgrade' as trigger_type,
        last_purchase_date as event_date,
        spend_to_next_tier as trigger_amount,
        {{ dbt.concat(["'next tier: '", 'next_tier']) }} as trigger_detail
    from customer_state
    where is_near_upgrade
),

downgrade_risks as (
    select
        customer_id,
        'tier_downgrade_risk' as trigger_type,
        last_purchase_date as event_date,
        member_tier_spend as trigger_amount,
        {{ dbt.concat(["'current tier: '", 'member_tier']) }} as trigger_detail
    from customer_state
    where is_downgrade_risk
),

overdue_high_values as (
    select
        customer_id,
        'overdue_high_value' as trigger_type,
        last_purchase_date as event_date,
        monetary as trigger_amount,
        purchase_cycle_status as trigger_detail
    from customer_state
    where
        value_tier in ({{ high_value_list }})
        and purchase_cycle_status in ('overdue', 'alert')
),

repurchase_prompts as (
    select
        customer_id,
        'repurchase_prompt' as trigger_type,
        last_purchase_date as event_date,
        cast(null as decimal(18, 2)) as trigger_amount,
        {{ dbt.concat([
            "'day '",
            dbt.cast('recency_days', dbt.type_string()),
            "' since the last purchase'",
        ]) }} as trigger_detail
    from customer_state
    where
        is_customer
        and recency_days in ({{ prompt_days | join(', ') }})
),

next_holiday as (
    select min(holiday_date) as holiday_date
    from holidays
    where
        holiday_date >= {{ crm_as_of_date() }}
        and holiday_date < {{ crm_customer_add_days(holiday_days, crm_as_of_date()) }}
),

holiday_cares as (
    select
        customer_state.customer_id,
        'holiday_care' as trigger_type,
        holidays.holiday_date as event_date,
        cast(null as decimal(18, 2)) as trigger_amount,
        {{ dbt.concat([
            'holidays.holiday_name',
            "' in '",
            dbt.cast(dbt.datediff(crm_as_of_date(), 'holidays.holiday_date', 'day'), dbt.type_string()),
            "' day(s)'",
        ]) }} as trigger_detail
    from customer_state
    cross join next_holiday
    inner join holidays
        on next_holiday.holiday_date = holidays.holiday_date
    where customer_state.is_customer
),

points_expirings as (
    select
        customer_id,
        'points_expiring' as trigger_type,
        next_expiry_date as event_date,
        cast(expiring_points as decimal(18, 2)) as trigger_amount,
        {{ dbt.concat([
            dbt.cast('expiring_points', dbt.type_string()),
            "' points expire by '",
            dbt.cast(crm_customer_add_days(var('points_expiring_days') | int, crm_as_of_date()), dbt.type_string()),
        ]) }} as trigger_detail
    from points
    where expiring_points > 0
),

triggers as (
    select * from member_signals
    union all
    select * from full_month_gifts
    union all
    select * from birthdays
    union all
    select * from near_upgrades
    union all
    select * from downgrade_risks
    union all
    select * from overdue_high_values
    union all
    select * from repurchase_prompts
    union all
    select * from holiday_cares
    union all
    select * from points_expirings
),

final as (
    select
        {{ dbt.concat(['triggers.customer_id', "'|'", 'triggers.trigger_type']) }} as trigger_id,
        triggers.customer_id,
        triggers.trigger_type,
        triggers.event_date,
        triggers.trigger_amount,
        triggers.trigger_detail,
        trigger_actions.suggested_action,
        coalesce(customer_state.customer_type, 'prospect') as customer_type,
        coalesce(customer_state.lifecycle_stage, 'prospect') as lifecycle_stage,
        coalesce(customer_state.lifecycle_segment, 'prospect') as lifecycle_segment,
        customer_state.value_tier,
        policy.objective as policy_objective,
        policy.suggested_activities as policy_activities,
        coalesce(customer_state.sms_opt_in, false) as sms_opt_in,
        coalesce(customer_state.email_opt_in, false) as email_opt_in,
        coalesce(customer_state.sms_opt_in or customer_state.email_opt_in, false) as is_reachable,
        case
            when customer_state.sms_opt_in then 'sms'
            when customer_state.email_opt_in then 'email'
        end as preferred_channel,
        case
            when policy.sms_per_month > 0 and customer_state.sms_opt_in then 'sms'
            when policy.emails_per_month > 0 and customer_state.email_opt_in then 'email'
        end as policy_channel,
        {{ crm_as_of_date() }} as as_of_date
    from triggers
    inner join trigger_actions
        on triggers.trigger_type = trigger_actions.trigger_type
    left join customer_state
        on triggers.customer_id = customer_state.customer_id
    left join policy
        on
            coalesce(customer_state.customer_type, 'prospect') = policy.customer_type
            and coalesce(customer_state.lifecycle_stage, 'prospect') = policy.lifecycle_stage
)

select * from final
