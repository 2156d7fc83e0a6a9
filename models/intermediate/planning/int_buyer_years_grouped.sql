{#- Buyers per fiscal year with their gap-analysis group (docs/definitions.md#gap-analysis): one
    row per scope x customer x fiscal year with at least one occasion. The scope is
    the whole business (store_id null) or one store; in a store's scope a buyer's
    group comes from their history AT THAT STORE (new = first occasion at the store
    falls in the year). Groups: new (first occasion in the year), retained_new (new
    in year - 1 and bought in year), retained_returning (bought in year - 1, not new
    then), reactivated (bought before year - 1, not in year - 1).
    period_type 'year' counts the whole fiscal year. When the fiscal year holding
    as_of_date is not complete, period_type 'ytd' rows count that year to date and
    the same days of the year before (its start to as_of_date - 1 year), for a like
    for like comparison; a buyer's group is the same as in the full year (it depends
    on the years they bought in, not on the days). -#}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

store_occasions as (
    select * from {{ ref('int_store_occasions_grouped') }}
),

scoped_occasions as (
    select
        cast(null as {{ dbt.type_string() }}) as store_id,
        customer_id,
        purchase_date,
        orders_count,
        net_amount
    from occasions
    union all
    select
        store_id,
        customer_id,
        purchase_date,
        orders_count,
        net_amount
    from store_occasions
),

buyer_years as (
    select
        store_id,
        customer_id,
        {{ crm_fiscal_year('purchase_date') }} as fiscal_year,
        count(*) as occasions_count,
        sum(orders_count) as orders_count,
        sum(net_amount) as revenue
    from scoped_occasions
    group by
        store_id,
        customer_id,
        {{ crm_fiscal_year('purchase_date') }}
),

{# One row when the fiscal year holding as_of_date is incomplete, none otherwise. #}
ytd_bounds as (
    select current_years.current_year
    from (
        select
            {{ crm_fiscal_year(crm_as_of_date()) }} as current_year,
            {{ crm_fiscal_year_end(crm_fiscal_year(crm_as_of_date())) }} as current_year_end
    ) as current_years
    where current_years.current_year_end > {{ crm_as_of_date() }}
),

ytd_buyer_years as (
    select
        scoped_occasions.store_id,
        scoped_occasions.customer_id,
        {{ crm_fiscal_year('scoped_occasions.purchase_date') }} as fiscal_year,
        count(*) as occasions_count,
        sum(scoped_occasions.orders_count) as orders_count,
        sum(scoped_occasions.net_amount) as revenue
    from scoped_occasions
    cross join ytd_bounds
    where
        {{ crm_fiscal_year('scoped_occasions.purchase_date') }}
        between ytd_bounds.current_year - 1 and ytd_bounds.current_year
        and scoped_occasions.purchase_date <= cast({{ dbt.dateadd(
            'year',
            '(' ~ crm_fiscal_year('scoped_occasions.purchase_date') ~ ' - ytd_bounds.current_year)',
            crm_as_of_date()
        ) }} as date)
    group by
        scoped_occasions.store_id,
        scoped_occasions.customer_id,
        {{ crm_fiscal_year('scoped_occasions.purchase_date') }}
),

histories as (
    select
        store_id,
        customer_id,
        fiscal_year,
        occasions_count,
        orders_count,
        revenue,
        min(fiscal_year) over (
            partition by store_id, customer_id
        ) as first_fiscal_year,
        lag(fiscal_year) over (
            partition by store_id, customer_id order by fiscal_year
        ) as previous_fiscal_year
    from buyer_years
),

grouped as (
    select
        store_id,
        customer_id,
        fiscal_year,
        first_fiscal_year,
        previous_fiscal_year,
        occasions_count,
        orders_count,
        revenue,
        case
            when fiscal_year = first_fiscal_year then 'new'
            when previous_fiscal_year = fiscal_year - 1 and first_fiscal_year = fiscal_year - 1 then 'retained_new'
            when previous_fiscal_year = fiscal_year - 1 then 'retained_returning'
            else 'reactivated'
        end as customer_group
    from histories
),

periods as (
    select
        store_id,
        customer_id,
        fiscal_year,
        'year' as period_type,
        first_fiscal_year,
        previous_fiscal_year,
        customer_group,
        occasions_count,
        orders_count,
        revenue
    from grouped
    union all
    select
        grouped.store_id,
        grouped.customer_id,
        grouped.fiscal_year,
        'ytd' as period_type,
        grouped.first_fiscal_year,
        grouped.previous_fiscal_year,
        grouped.customer_group,
        ytd_buyer_years.occasions_count,
        ytd_buyer_years.orders_count,
        ytd_buyer_years.revenue
    from ytd_buyer_years
    inner join grouped
        on
            coalesce(ytd_buyer_years.store_id, '') = coalesce(grouped.store_id, '')
            and ytd_buyer_years.customer_id = grouped.customer_id
            and ytd_buyer_years.fiscal_year = grouped.fiscal_year
),

final as (
    select
        store_id,
        customer_id,
        cast(fiscal_year as {{ dbt.type_int() }}) as fiscal_year,
        period_type,
        cast(first_fiscal_year as {{ dbt.type_int() }}) as first_fiscal_year,
        cast(previous_fiscal_year as {{ dbt.type_int() }}) as previous_fiscal_year,
        customer_group,
        cast(occasions_count as {{ dbt.type_bigint() }}) as occasions_count,
        cast(orders_count as {{ dbt.type_bigint() }}) as orders_count,
        cast(revenue as decimal(18, 2)) as revenue
    from periods
)

select * from final
