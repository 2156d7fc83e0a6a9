{#- Category x age band cross table: which categories does each age band buy?
    One row per age band (seed age_bands, age as of as_of_date from the customers
    mart) and a last row 'all', with the band's buyers and order-item amount of
    its purchases up to as_of_date, one column per category (share_<category>):
    the category's share of the band's item amount (each row's shares add up to
    1), and the band's order lines. Compare a band's share with the 'all' row:
    higher means the band over-buys the category. Amounts are order-line amounts
    (stg_crm__order_items) of purchases (int_purchases_filtered), before refunds,
    which are not allocated to lines. The category columns are read from the data
    when the SQL is compiled, so compile against the warehouse you query.
    Adapt: swap age_band for gender, city_tier, value_tier or home_store_id
    (customers mart) to get other cross tables; put the amount instead of the
    share to see money. -#}
{%- set category_query -%}
    select distinct coalesce(category, 'unknown') as category
    from {{ ref('stg_crm__order_items') }}
    order by category
{%- endset -%}
{%- set categories = run_query(category_query).columns[0].values() if execute else [] -%}

with

purchases as (
    select * from {{ ref('int_purchases_filtered') }}
),

order_items as (
    select * from {{ ref('stg_crm__order_items') }}
),

customers as (
    select * from {{ ref('customers') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

band_items as (
    select
        purchases.customer_id,
        order_items.amount,
        coalesce(customers.age_band, 'unknown') as age_band,
        coalesce(order_items.category, 'unknown') as category
    from purchases
    inner join order_items
        on purchases.order_id = order_items.order_id
    left join customers
        on purchases.customer_id = customers.customer_id
),

bands_and_total as (
    select
        age_band,
        customer_id,
        category,
        amount
    from band_items
    union all
    select
        'all' as age_band,
        customer_id,
        category,
        amount
    from band_items
),

final as (
    select
        bands_and_total.age_band,
        coalesce(min(age_bands.sort_order), 999) as band_order,
        count(distinct bands_and_total.customer_id) as buyers,
        sum(bands_and_total.amount) as items_amount,
        {%- for category in categories %}
        {%- set column_name = 'share_' ~ modules.re.sub('[^a-z0-9]+', '_', category | lower) %}
        cast(sum(
            case
                when bands_and_total.category = '{{ category | replace("'", "''") }}'
                    then bands_and_total.amount
                else 0
            end
        ) as double) / nullif(sum(bands_and_total.amount), 0) as {{ column_name }},
        {%- endfor %}
        count(*) as item_lines
    from bands_and_total
    left join age_bands
        on bands_and_total.age_band = age_bands.age_band
    group by bands_and_total.age_band
)

select * from final
order by band_order asc, age_band asc
