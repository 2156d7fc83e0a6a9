{% macro crm_lifecycle_intervals(occasions, members, customers) %}
    {#-
        SQL (a complete query): the lifecycle stage intervals (DESIGN.md section 4)
        of the given occasions (int_purchase_occasions_grouped rows), members
        (int_members_unioned rows) and customers (int_customers_aggregated rows),
        each a relation or a CTE name. int_lifecycle_intervals_derived is this query
        over the whole tables; an incremental run of customer_lifecycle_history
        applies it to the customers in its scope (a filter on the view's output is
        not pushed below the windows). Every row depends on one customer's inputs only.
    -#}
with

stages as (
    {{ crm_lifecycle_stage_bounds() | indent(4) }}
),

reigns as (
    {#- Each occasion rules from its purchase_date to the day before the next one. -#}
    select
        customer_id,
        purchase_date,
        next_purchase_date,
        {{ crm_customer_type('occasion_number') }} as customer_type,
        coalesce(
            {{ crm_customer_add_days(-1, 'next_purchase_date') }},
            {{ crm_as_of_date() }}
        ) as reign_end_date
    from {{ occasions }} as occasions
),

stage_pieces as (
    select
        reigns.customer_id,
        stages.stage_index,
        stages.lifecycle_stage,
        reigns.customer_type,
        reigns.next_purchase_date,
        reigns.reign_end_date,
        {{ crm_customer_add_days('stages.min_days', 'reigns.purchase_date') }} as valid_from,
        case
            when stages.max_days is not null
                then {{ crm_customer_add_days('stages.max_days - 1', 'reigns.purchase_date') }}
        end as stage_end_date
    from reigns
    cross join stages
),

occasion_intervals as (
    select
        customer_id,
        lifecycle_stage,
        customer_type,
        valid_from,
        case
            when next_purchase_date is null and (stage_end_date is null or stage_end_date >= reign_end_date)
                then null
            when stage_end_date is null or stage_end_date > reign_end_date
                then reign_end_date
            else stage_end_date
        end as valid_to
    from stage_pieces
    where valid_from <= reign_end_date
),

prospect_intervals as (
    select
        members.customer_id,
        'prospect' as lifecycle_stage,
        'prospect' as customer_type,
        members.joined_date as valid_from,
        {{ crm_customer_add_days(-1, 'customers.first_purchase_date') }} as valid_to
    from {{ members }} as members
    left join {{ customers }} as customers
        on members.customer_id = customers.customer_id
    where
        members.joined_date is not null
        and members.joined_date <= {{ crm_as_of_date() }}
        and (customers.first_purchase_date is null or members.joined_date < customers.first_purchase_date)
),

pieces as (
    select * from occasion_intervals
    union all
    select * from prospect_intervals
),

islands_flagged as (
    select
        *,
        case
            when
                lag(lifecycle_stage) over (partition by customer_id order by valid_from) = lifecycle_stage
                and lag(customer_type) over (partition by customer_id order by valid_from) = customer_type
                then 0
            else 1
        end as is_island_start
    from pieces
),

islands_numbered as (
    select
        *,
        sum(is_island_start) over (
            partition by customer_id
            order by valid_from
            rows between unbounded preceding and current row
        ) as island_number
    from islands_flagged
),

final as (
    select
        customer_id,
        lifecycle_stage,
        customer_type,
        min(valid_from) as valid_from,
        case when count(valid_to) = count(*) then max(valid_to) end as valid_to
    from islands_numbered
    group by customer_id, island_number, lifecycle_stage, customer_type
)

select * from final
{%- endmacro %}
