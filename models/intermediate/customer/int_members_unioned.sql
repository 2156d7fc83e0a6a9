{#- Every member and customer as of as_of_date: members of the members input who
    joined on or before as_of_date (or whose joined_at is unknown), plus customers
    (a purchase up to as_of_date) whatever their joined_at, plus orphans: member_ids
    of purchases that are not in the members input. No PII. -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

members as (
    select * from {{ ref('stg_crm__members') }}
),

customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

members_to_date as (
    select
        members.member_id as customer_id,
        true as is_member,
        members.joined_at,
        cast(members.joined_at as date) as joined_date,
        members.birth_date,
        members.gender,
        members.city,
        members.city_tier,
        members.home_store_id,
        members.referred_by_member_id,
        members.sms_opt_in,
        members.email_opt_in
    from members
    left join customers
        on members.member_id = customers.customer_id
    where
        members.joined_at is null
        or cast(members.joined_at as date) <= {{ crm_as_of_date() }}
        or customers.customer_id is not null
),

orphans as (
    select
        customers.customer_id,
        false as is_member,
        cast(null as {{ dbt.type_timestamp() }}) as joined_at,
        cast(null as date) as joined_date,
        cast(null as date) as birth_date,
        'U' as gender,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_int() }}) as city_tier,
        cast(null as {{ dbt.type_string() }}) as home_store_id,
        cast(null as {{ dbt.type_string() }}) as referred_by_member_id,
        false as sms_opt_in,
        false as email_opt_in
    from customers
    left join members
        on customers.customer_id = members.member_id
    where members.member_id is null
),

final as (
    select * from members_to_date
    union all
    select * from orphans
)

select * from final
