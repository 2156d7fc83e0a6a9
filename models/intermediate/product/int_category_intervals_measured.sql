{#- The typical repurchase interval of each category, measured from the data
    (docs/definitions.md#products-and-categories): the gaps in days between
    consecutive occasions of one customer in the category, over the history up to
    as_of_date. With at least var category_interval_min_gaps gaps the interval is
    ceil(median gap x var category_interval_multiplier) days; with fewer it is var
    category_interval_default_days (is_measured = false). The median is exact (the
    mean of the one or two middle gaps), written with row_number so it runs on every
    adapter. -#}

{%- set multiplier = var('category_interval_multiplier') | float %}
{%- set min_gaps = var('category_interval_min_gaps') | int %}
{%- set default_days = var('category_interval_default_days') | int %}

with

category_occasions as (
    select * from {{ ref('int_customer_category_occasions_grouped') }}
),

categories as (
    select
        category,
        count(distinct customer_id) as buyers,
        count(*) as occasions_count
    from category_occasions
    group by category
),

gaps as (
    select
        category,
        {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            as gap_days
    from category_occasions
    where previous_purchase_date is not null
),

ranked_gaps as (
    select
        category,
        gap_days,
        row_number() over (partition by category order by gap_days) as gap_rank,
        count(*) over (partition by category) as gaps_count
    from gaps
),

medians as (
    select
        category,
        max(gaps_count) as gaps_count,
        avg(
            case
                when gap_rank in (floor((gaps_count + 1) / 2.0), ceil((gaps_count + 1) / 2.0))
                    then cast(gap_days as double)
            end
        ) as median_gap_days
    from ranked_gaps
    group by category
),

final as (
    select
        categories.category,
        cast(categories.buyers as {{ dbt.type_bigint() }}) as buyers,
        cast(categories.occasions_count as {{ dbt.type_bigint() }}) as occasions_count,
        cast(coalesce(medians.gaps_count, 0) as {{ dbt.type_bigint() }}) as gaps_count,
        medians.median_gap_days,
        coalesce(medians.gaps_count, 0) >= {{ min_gaps }} as is_measured,
        cast(
            case
                when coalesce(medians.gaps_count, 0) >= {{ min_gaps }}
                    then ceil(medians.median_gap_days * {{ multiplier }})
                else {{ default_days }}
            end as int
        ) as repurchase_interval_days
    from categories
    left join medians
        on categories.category = medians.category
)

select * from final
