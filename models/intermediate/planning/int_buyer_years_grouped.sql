{#- Buyers per fiscal year with their gap-analysis group (DESIGN.md section 4): one
    row per scope x customer x fiscal year with at least one occasion. The scope is
    the whole business (store_id null) or one store; in a store's scope a buyer's
    group comes from their history AT THAT STORE (new = first occasion at the store
    falls in the year). Groups: new (first occasion in the year), retained_new (new
    in year - 1 and bought in year), retained_returning (bought in year - 1, not new
    then), reactivated (bought before year - 1, not in year - 1). -#}

with

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

final as (
    select
        store_id,
        customer_id,
        cast(fiscal_year as {{ dbt.type_int() }}) as fiscal_year,
        cast(first_fiscal_year as {{ dbt.type_int() }}) as first_fiscal_year,
        cast(previous_fiscal_year as {{ dbt.type_int() }}) as previous_fiscal_year,
        case
            when fiscal_year = first_fiscal_year then 'new'
            when previous_fiscal_year = fiscal_year - 1 and first_fiscal_year = fiscal_year - 1 then 'retained_new'
            when previous_fiscal_year = fiscal_year - 1 then 'retained_returning'
            else 'reactivated'
        end as customer_group,
        cast(occasions_count as {{ dbt.type_bigint() }}) as occasions_count,
        cast(orders_count as {{ dbt.type_bigint() }}) as orders_count,
        cast(revenue as decimal(18, 2)) as revenue
    from histories
)

select * from final
