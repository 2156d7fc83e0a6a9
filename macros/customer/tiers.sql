{#- Value tier and member tier rules (docs/definitions.md#customer-state), written once
    for the customer state as of as_of_date (int_customer_state,
    int_member_tiers_assigned) and the month-end history (customer_monthly). -#}

{% macro crm_value_tier(monetary_cume_dist_sql) %}
    {#- SQL: the value tier of a customer whose cume_dist() over monetary descending
        (the share of customers spending at least as much) is `monetary_cume_dist_sql`:
        top / high / middle up to vars value_tier_top_share / _high_share /
        _middle_share, low above. -#}
    case
        when {{ monetary_cume_dist_sql }} <= cast({{ var('value_tier_top_share') }} as double) then 'top'
        when {{ monetary_cume_dist_sql }} <= cast({{ var('value_tier_high_share') }} as double) then 'high'
        when {{ monetary_cume_dist_sql }} <= cast({{ var('value_tier_middle_share') }} as double) then 'middle'
        else 'low'
    end
{%- endmacro %}


{% macro crm_member_tier_ladder(tiers) %}
    {#- SQL (a query): the rows of seed member_tiers (`tiers`, a CTE or relation) in
        ascending min_spend with the tier above each: tier, min_spend, discount,
        next_tier, next_tier_min_spend (null for the top tier). -#}
    select
        tier,
        min_spend,
        discount,
        lead(tier) over (order by min_spend, tier) as next_tier,
        lead(min_spend) over (order by min_spend, tier) as next_tier_min_spend
    from {{ tiers }}
{%- endmacro %}


{% macro crm_member_tier_matches(spend_sql, ladder) %}
    {#- SQL (a join condition): the rung of `ladder` (crm_member_tier_ladder, a CTE or
        alias) a trailing spend of `spend_sql` reaches: the highest tier whose
        min_spend <= spend. -#}
    {{ spend_sql }} >= {{ ladder }}.min_spend
    and (
        {{ ladder }}.next_tier_min_spend is null
        or {{ spend_sql }} < {{ ladder }}.next_tier_min_spend
    )
{%- endmacro %}
