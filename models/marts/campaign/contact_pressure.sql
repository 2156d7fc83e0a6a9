{#- Contact pressure per member as of as_of_date (issue 7): campaign contacts
    (treatment group only: control members are not contacted) in the trailing
    contact_pressure_window_days (default 365, as_of_date included) against the
    yearly cap var contact_yearly_cap. pressure_status lists the over-contacted
    members and the high-value customers (value_tier in var
    contact_high_value_tiers) who were never contacted. -#}
{%- set window_days = var('contact_pressure_window_days', 365) | int -%}
{%- set yearly_cap = var('contact_yearly_cap', 12) | int -%}
{%- set high_value_tiers = var('contact_high_value_tiers', ['top', 'high']) -%}
{%- set high_value_list = "'" ~ (high_value_tiers | join("', '")) ~ "'" -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

customer_state as (
    select * from {{ ref('int_customer_state') }}
),

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

member_contacts as (
    select
        member_id,
        count(*) as contacts_total,
        sum(
            case
                when contact_date > {{ crm_customer_add_days(-window_days, crm_as_of_date()) }} then 1
                else 0
            end
        ) as contacts_in_window,
        max(contact_date) as last_contact_date
    from contacts
    where group_name = 'treatment'
    group by member_id
),

measured as (
    select
        customer_state.customer_id,
        customer_state.customer_type,
        customer_state.lifecycle_stage,
        customer_state.lifecycle_segment,
        customer_state.value_tier,
        customer_state.rfm_segment,
        customer_state.sms_opt_in,
        customer_state.email_opt_in,
        member_contacts.last_contact_date,
        coalesce(member_contacts.contacts_total, 0) as contacts_total,
        coalesce(member_contacts.contacts_in_window, 0) as contacts_in_window,
        coalesce(customer_state.value_tier in ({{ high_value_list }}), false) as is_high_value
    from customer_state
    left join member_contacts
        on customer_state.customer_id = member_contacts.member_id
),

final as (
    select
        customer_id,
        customer_type,
        lifecycle_stage,
        lifecycle_segment,
        value_tier,
        rfm_segment,
        is_high_value,
        cast({{ window_days }} as {{ dbt.type_int() }}) as window_days,
        cast(contacts_in_window as {{ dbt.type_bigint() }}) as contacts_in_window,
        cast(contacts_total as {{ dbt.type_bigint() }}) as contacts_total,
        last_contact_date,
        cast({{ yearly_cap }} as {{ dbt.type_int() }}) as yearly_cap,
        cast(greatest(contacts_in_window - {{ yearly_cap }}, 0) as {{ dbt.type_bigint() }}) as contacts_over_cap,
        contacts_in_window > {{ yearly_cap }} as is_over_contacted,
        contacts_total = 0 and is_high_value as is_never_contacted_high_value,
        case
            when contacts_in_window > {{ yearly_cap }} then 'over_contacted'
            when contacts_total = 0 and is_high_value then 'never_contacted_high_value'
            when contacts_total = 0 then 'never_contacted'
            else 'within_cap'
        end as pressure_status,
        sms_opt_in,
        email_opt_in,
        sms_opt_in or email_opt_in as is_reachable,
        {{ crm_as_of_date() }} as as_of_date
    from measured
)

select * from final
