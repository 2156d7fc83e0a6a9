{#- Product association rules (docs/definitions.md#products-and-categories): one row per
    directed rule antecedent_product -> consequent_product whose pair is bought together in
    at least var association_min_pair_occasions baskets (occasions) and has support of at least
    var association_min_support. support = pair baskets / all baskets with a product;
    confidence = pair baskets / baskets holding the antecedent; lift = confidence / the
    consequent's share of baskets. Both directions of a pair are rows. -#}

with

basket_rules as (
    select * from {{ ref('int_basket_rules_measured') }}
),

final as (
    select
        antecedent_id as antecedent_product,
        consequent_id as consequent_product,
        baskets_count,
        antecedent_occasions,
        consequent_occasions,
        pair_occasions,
        support,
        confidence,
        lift
    from basket_rules
    where item_level = 'product'
)

select * from final
