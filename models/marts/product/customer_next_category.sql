{#- The next category to offer each customer (docs/definitions.md#products-and-categories):
    among the category rules (int_basket_rules_measured) whose antecedent the customer
    bought and whose consequent the customer never bought, with lift >= var
    next_category_min_lift, the one with the highest lift x confidence; ties go to the
    higher confidence, then the higher support, then the antecedent and consequent names
    (alphabetical). Customers without such a rule have no row. -#}

{%- set min_lift = var('next_category_min_lift') | float %}

with

category_occasions as (
    select * from {{ ref('int_customer_category_occasions_grouped') }}
),

basket_rules as (
    select * from {{ ref('int_basket_rules_measured') }}
),

bought as (
    select distinct
        customer_id,
        category
    from category_occasions
),

candidates as (
    select
        bought.customer_id,
        basket_rules.consequent_id as next_category,
        basket_rules.antecedent_id as based_on_category,
        basket_rules.support,
        basket_rules.confidence,
        basket_rules.lift,
        basket_rules.lift * basket_rules.confidence as score
    from bought
    inner join basket_rules
        on
            basket_rules.item_level = 'category'
            and bought.category = basket_rules.antecedent_id
    left join bought as already_bought
        on
            bought.customer_id = already_bought.customer_id
            and basket_rules.consequent_id = already_bought.category
    where
        already_bought.customer_id is null
        and basket_rules.lift >= {{ min_lift }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by score desc, confidence desc, support desc, based_on_category asc, next_category asc
        ) as candidate_rank
    from candidates
),

candidate_counts as (
    select
        customer_id,
        count(distinct next_category) as candidate_categories
    from candidates
    group by customer_id
),

final as (
    select
        ranked.customer_id,
        ranked.next_category,
        ranked.based_on_category,
        ranked.score,
        ranked.confidence,
        ranked.lift,
        ranked.support,
        cast(candidate_counts.candidate_categories as {{ dbt.type_bigint() }}) as candidate_categories
    from ranked
    inner join candidate_counts
        on ranked.customer_id = candidate_counts.customer_id
    where ranked.candidate_rank = 1
)

select * from final
