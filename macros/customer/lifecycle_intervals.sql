{% macro crm_lifecycle_intervals(occasions, members, customers, build_context) %}
    {#-
        SQL (a complete query): the lifecycle stage intervals (docs/definitions.md#lifecycle)
        of the given occasions (int_purchase_occasions_grouped rows), members
        (int_members_unioned rows), customers (int_customers_aggregated rows) and build
        context (int_build_context), each a relation the caller refs. The query of
        int_lifecycle_intervals_derived; the build context becomes the CTE build_context
        that crm_as_of_date() reads. Every row depends on one customer's inputs only.
    -#}
with

build_context as (
    select * from {{ build_context }}
),

stages as (
    {{ crm_lifecycle_stage_bounds() | indent(4) }}
),

{#- Consecutive pieces with the same stage and customer_type form one interval.
    Within an occasion's reign the stages differ, and the prospect spell differs in
    type from every reign, so pieces merge only where a reign's after_sale piece
    follows a previous reign that ended in after_sale (its next purchase came within
    after_sale's days) with the same type (both returning: occasion 3 onwards).
    Such reigns chain: every reign of a chain but the last holds only an after_sale
    piece, and the chain is one after_sale interval from its first purchase to the
    last reign's after_sale end. Found per occasion, this needs one window over the
    few chained occasions instead of two over every piece. -#}
{%- set after_sale_days = crm_lifecycle_boundaries()[0] %}
reigns as {{ crm_cte_not_materialized() }} (
    {#- Each occasion rules from its purchase_date to the day before the next one. -#}
    select
        customer_id,
        purchase_date,
        next_purchase_date,
        {{ crm_customer_type('occasion_number') }} as customer_type,
        {{ crm_reign_end_date('next_purchase_date') }} as reign_end_date,
        coalesce(
            occasion_number >= 3
            and {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }} <= {{ after_sale_days }},
            false
        ) as continues_previous,
        coalesce(
            occasion_number >= 2
            and {{ dbt.datediff('purchase_date', 'next_purchase_date', 'day') }} <= {{ after_sale_days }},
            false
        ) as continued_by_next
    from {{ occasions }} as occasions
),

islanded_reigns as (
    select
        *,
        purchase_date as island_start_date
    from reigns
    where not continues_previous and not continued_by_next
    union all
    select
        *,
        max(case when not continues_previous then purchase_date end) over (
            partition by customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as island_start_date
    from reigns
    where continues_previous or continued_by_next
),

stage_pieces as (
    select
        reigns.customer_id,
        stages.stage_index,
        stages.lifecycle_stage,
        reigns.customer_type,
        reigns.next_purchase_date,
        reigns.reign_end_date,
        reigns.continued_by_next,
        case
            when stages.stage_index = 0 then reigns.island_start_date
            else {{ crm_customer_add_days('stages.min_days', 'reigns.purchase_date') }}
        end as valid_from,
        case
            when stages.max_days is not null
                then {{ crm_customer_add_days('stages.max_days - 1', 'reigns.purchase_date') }}
        end as stage_end_date
    from islanded_reigns as reigns
    cross join stages
),

intervals as (
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
    where
        valid_from <= reign_end_date
        and not (stage_index = 0 and continued_by_next)
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

final as (
    select * from intervals
    union all
    select * from prospect_intervals
)

select * from final
{%- endmacro %}
