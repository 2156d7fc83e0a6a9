{#- Members come from the members input; when it is absent, from the distinct
    member_ids of kept orders (any status), with unknown attributes. -#}
{%- set members_absent = crm_raw_source('members').kind == 'absent' %}

with

{% if members_absent -%}
orders as (
    select * from {{ ref('stg_crm__orders') }}
),

final as (
    select
        member_id,
        min(ordered_at) as joined_at,
        cast(null as date) as birth_date,
        'U' as gender,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_int() }}) as city_tier,
        cast(null as {{ dbt.type_string() }}) as home_store_id,
        cast(null as {{ dbt.type_string() }}) as referred_by_member_id,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as phone,
        false as sms_opt_in,
        false as email_opt_in,
        max(updated_at) as updated_at,
        true as is_derived_from_orders
    from orders
    where member_id is not null
    group by member_id
)
{%- else -%}
base as (
    select * from {{ ref('base_crm__members') }}
    where disposition = 'kept'
),

final as (
    select
        member_id,
        joined_at,
        birth_date,
        gender,
        city,
        city_tier,
        home_store_id,
        referred_by_member_id,
        email,
        phone,
        sms_opt_in,
        email_opt_in,
        updated_at,
        false as is_derived_from_orders
    from base
)
{%- endif %}

select * from final
