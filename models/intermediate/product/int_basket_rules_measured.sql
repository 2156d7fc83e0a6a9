{#- Association rules at the occasion grain (docs/definitions.md#products-and-categories):
    a basket is the set of categories (item_level 'category') or products (item_level
    'product') one customer bought on one purchase_date. For every ordered pair of
    items bought together in at least var association_min_pair_occasions baskets and
    with support >= var association_min_support, one row per direction (antecedent ->
    consequent): support, confidence and lift. Bounded the apriori way: an item that
    is itself below the floors cannot be in a pair above them, so items are filtered
    before the self-join, and the self-join counts each unordered pair once (item a <
    item b) before the two directions are written out. A table: both association marts
    and customer_next_category read it. -#}
{{ config(materialized='table') }}

{%- set min_pair_occasions = var('association_min_pair_occasions') | int %}
{%- set min_support = var('association_min_support') | float %}

with

category_occasions as (
    select * from {{ ref('int_customer_category_occasions_grouped') }}
),

purchase_items as (
    select * from {{ ref('int_purchase_items_allocated') }}
),

basket_items as (
    select distinct
        'category' as item_level,
        customer_id,
        purchase_date,
        category as item_id
    from category_occasions
    union all
    select distinct
        'product' as item_level,
        customer_id,
        purchase_date,
        product_id as item_id
    from purchase_items
    where product_id is not null
),

baskets as (
    select distinct
        item_level,
        customer_id,
        purchase_date
    from basket_items
),

basket_totals as (
    select
        item_level,
        count(*) as baskets_count
    from baskets
    group by item_level
),

item_counts as (
    select
        basket_items.item_level,
        basket_items.item_id,
        count(*) as item_occasions,
        max(basket_totals.baskets_count) as baskets_count
    from basket_items
    inner join basket_totals
        on basket_items.item_level = basket_totals.item_level
    group by basket_items.item_level, basket_items.item_id
),

frequent_items as (
    select
        item_level,
        item_id
    from item_counts
    where
        item_occasions >= {{ min_pair_occasions }}
        and cast(item_occasions as double) / baskets_count >= {{ min_support }}
),

frequent_basket_items as (
    select basket_items.*
    from basket_items
    inner join frequent_items
        on
            basket_items.item_level = frequent_items.item_level
            and basket_items.item_id = frequent_items.item_id
),

pairs as (
    select
        left_items.item_level,
        left_items.item_id as item_a,
        right_items.item_id as item_b,
        count(*) as pair_occasions
    from frequent_basket_items as left_items
    inner join frequent_basket_items as right_items
        on
            left_items.item_level = right_items.item_level
            and left_items.customer_id = right_items.customer_id
            and left_items.purchase_date = right_items.purchase_date
            and left_items.item_id < right_items.item_id
    group by left_items.item_level, left_items.item_id, right_items.item_id
),

kept_pairs as (
    select
        pairs.item_level,
        pairs.item_a,
        pairs.item_b,
        pairs.pair_occasions,
        basket_totals.baskets_count
    from pairs
    inner join basket_totals
        on pairs.item_level = basket_totals.item_level
    where
        pairs.pair_occasions >= {{ min_pair_occasions }}
        and cast(pairs.pair_occasions as double) / basket_totals.baskets_count >= {{ min_support }}
),

directed as (
    select
        item_level,
        item_a as antecedent_id,
        item_b as consequent_id,
        pair_occasions,
        baskets_count
    from kept_pairs
    union all
    select
        item_level,
        item_b as antecedent_id,
        item_a as consequent_id,
        pair_occasions,
        baskets_count
    from kept_pairs
),

final as (
    select
        directed.item_level,
        directed.antecedent_id,
        directed.consequent_id,
        cast(directed.baskets_count as {{ dbt.type_bigint() }}) as baskets_count,
        cast(antecedents.item_occasions as {{ dbt.type_bigint() }}) as antecedent_occasions,
        cast(consequents.item_occasions as {{ dbt.type_bigint() }}) as consequent_occasions,
        cast(directed.pair_occasions as {{ dbt.type_bigint() }}) as pair_occasions,
        cast(directed.pair_occasions as double) / directed.baskets_count as support,  -- noqa: RF04
        cast(directed.pair_occasions as double) / antecedents.item_occasions as confidence,
        cast(directed.pair_occasions as double) * directed.baskets_count
        / (cast(antecedents.item_occasions as double) * consequents.item_occasions) as lift
    from directed
    inner join item_counts as antecedents
        on
            directed.item_level = antecedents.item_level
            and directed.antecedent_id = antecedents.item_id
    inner join item_counts as consequents
        on
            directed.item_level = consequents.item_level
            and directed.consequent_id = consequents.item_id
)

select * from final
