{#- The product and age mix of each store and fiscal year (issue 24, item 5, the
    features of the counter clustering), in long form: one row per store x fiscal year
    x mix_dimension x mix_value.
    category: the store's net spend on the category's order lines in the year
    (int_purchase_items_allocated; lines without a category are left out) and its share
    of the store's spend on categorised lines.
    age_band: the store's buyers of the year (int_store_buyer_periods_aggregated, year
    grain: at least one purchase there) by age band on the year's reference date, the
    year's end or as_of_date when earlier (crm_age_years, seed age_bands), and its
    share of the buyers of known age (unknown birth dates are left out).
    Fiscal years by crm_fiscal_year, as in store_performance. -#}
{{ config(materialized='table') }}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

purchase_items as (
    select * from {{ ref('int_purchase_items_allocated') }}
),

buyer_periods as (
    select * from {{ ref('int_store_buyer_periods_aggregated') }}
),

members as (
    select * from {{ ref('int_members_unioned') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

category_spend as (
    select
        store_id,
        {{ crm_fiscal_year('purchase_date') }} as fiscal_year,
        category as mix_value,
        sum(net_amount) as amount
    from purchase_items
    where store_id is not null and category is not null
    group by
        store_id,
        {{ crm_fiscal_year('purchase_date') }},
        category
),

year_buyers as (
    select
        buyer_periods.store_id,
        {{ crm_fiscal_year('buyer_periods.period_start') }} as fiscal_year,
        {{ crm_age_years('members.birth_date', 'least(buyer_periods.period_end, ' ~ crm_as_of_date() ~ ')') }}
            as age
    from buyer_periods
    left join members
        on buyer_periods.customer_id = members.customer_id
    where buyer_periods.period_grain = 'year'
),

band_buyers as (
    select
        year_buyers.store_id,
        year_buyers.fiscal_year,
        age_bands.age_band as mix_value,
        count(*) as amount
    from year_buyers
    inner join age_bands
        on {{ crm_age_band_matches('year_buyers.age', 'age_bands') | indent(8) }}
    where year_buyers.age is not null
    group by year_buyers.store_id, year_buyers.fiscal_year, age_bands.age_band
),

mixes as (
    select
        store_id,
        fiscal_year,
        'category' as mix_dimension,
        mix_value,
        cast(amount as decimal(18, 2)) as amount
    from category_spend
    union all
    select
        store_id,
        fiscal_year,
        'age_band' as mix_dimension,
        mix_value,
        cast(amount as decimal(18, 2)) as amount
    from band_buyers
),

final as (
    select
        store_id,
        cast(fiscal_year as {{ dbt.type_int() }}) as fiscal_year,
        mix_dimension,
        mix_value,
        amount,
        cast(amount as double) / nullif(
            cast(sum(amount) over (partition by store_id, fiscal_year, mix_dimension) as double), 0
        ) as mix_share
    from mixes
)

select * from final
