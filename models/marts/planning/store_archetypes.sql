{#- Store archetype per store and fiscal year, from rules on percentiles across the
    stores of the year (percent_rank over the comparable stores: buyers in the year
    and not new). Rules, first match wins:
    new_store (open fewer than var store_archetype_new_store_months months at the
    year's end or as_of_date), underperforming (revenue percentile <= var
    store_archetype_low_percentile and revenue changed by var
    store_archetype_falling_change (-0.1) or less against the same days of the
    previous year), traffic_led (buyers percentile >= var store_archetype_high_percentile and
    AOV percentile <= the low percentile), high_end_led (AOV percentile >= var
    store_archetype_high_end_percentile), loyalty_led (managed-buyer share and
    repurchase rate percentiles both >= the high percentile), else balanced.
    Beside the archetype, the store-year's product and age mix (int_store_year_mixes):
    its top category by spend share and top age band by buyer share, and its counter
    type from the k-means clustering (int_store_mix_clusters, DuckDB only: null on
    targets without Python models). #}

{%- set new_store_months = var('store_archetype_new_store_months') | int %}
{%- set high = var('store_archetype_high_percentile') | float %}
{%- set low = var('store_archetype_low_percentile') | float %}
{%- set high_end = var('store_archetype_high_end_percentile') | float %}
{%- set falling = var('store_archetype_falling_change') | float %}
{%- set percentile_columns = ['revenue', 'buyers', 'aov', 'managed_buyer_share', 'repurchase_rate'] %}
{%- set with_clusters = crm_store_mix_clusters_are_supported() %}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

performance as (
    select * from {{ ref('store_performance') }}
),

stores as (
    select * from {{ ref('int_stores_unioned') }}
),

store_occasions as (
    select * from {{ ref('int_store_occasions_grouped') }}
),

store_mixes as (
    select * from {{ ref('int_store_year_mixes') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),
{%- if with_clusters %}

mix_clusters as (
    select * from {{ ref('int_store_mix_clusters') }}
),
{%- endif %}

store_days as (
    select
        store_id,
        purchase_date,
        sum(net_amount) as revenue
    from store_occasions
    group by store_id, purchase_date
),

data_start as (
    select min(purchase_date) as first_date
    from store_days
),

store_first_purchases as (
    select
        store_id,
        min(purchase_date) as first_purchase_date
    from store_days
    group by store_id
),

{# Opening date: the stores input, else the store's first purchase when it comes
    after the first purchase in the data (a store that started within the data). #}
openings as (
    select
        performance.store_id,
        coalesce(
            max(stores.opened_at),
            case
                when max(store_first_purchases.first_purchase_date) > max(data_start.first_date)
                    then max(store_first_purchases.first_purchase_date)
            end
        ) as opened_date
    from performance
    cross join data_start
    left join stores
        on performance.store_id = stores.store_id
    left join store_first_purchases
        on performance.store_id = store_first_purchases.store_id
    group by performance.store_id
),

store_years as (
    select
        performance.store_id,
        {{ crm_fiscal_year('performance.period_start') }} as fiscal_year,
        performance.period_start as year_start_date,
        performance.period_end as year_end_date,
        least(performance.period_end, {{ crm_as_of_date() }}) as reference_date,
        performance.is_complete,
        performance.revenue,
        performance.buyers,
        performance.aov,
        performance.managed_buyer_share,
        performance.repurchase_rate,
        openings.opened_date
    from performance
    left join openings
        on performance.store_id = openings.store_id
    where performance.period_grain = 'year'
),

{# Like for like: the same days of the previous year (null when they precede the data). #}
prior_periods as (
    select
        store_years.store_id,
        store_years.fiscal_year,
        case
            when
                cast({{ dbt.dateadd('year', -1, 'store_years.year_start_date') }} as date)
                >= max(data_start.first_date)
                then coalesce(sum(store_days.revenue), 0)
        end as prior_period_revenue
    from store_years
    cross join data_start
    left join store_days
        on
            store_years.store_id = store_days.store_id
            and store_days.purchase_date >= cast({{ dbt.dateadd('year', -1, 'store_years.year_start_date') }} as date)
            and store_days.purchase_date <= cast({{ dbt.dateadd('year', -1, 'store_years.reference_date') }} as date)
    group by store_years.store_id, store_years.fiscal_year, store_years.year_start_date
),

flagged as (
    select
        store_years.*,
        prior_periods.prior_period_revenue,
        coalesce(
            store_years.opened_date
            > cast({{ dbt.dateadd('month', -new_store_months, 'store_years.reference_date') }} as date),
            false
        ) as is_new_store
    from store_years
    inner join prior_periods
        on
            store_years.store_id = prior_periods.store_id
            and store_years.fiscal_year = prior_periods.fiscal_year
),

compared as (
    select
        *,
        buyers > 0 and not is_new_store as is_compared
    from flagged
),

ranked as (
    select
        *,
        {%- for column in percentile_columns %}
        case
            when is_compared
                then percent_rank() over (partition by fiscal_year, is_compared order by {{ column }})
        end as {{ column }}_percentile
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from compared
),

ruled as (
    select
        *,
        coalesce(
            revenue_percentile <= {{ low }}
            and revenue <= prior_period_revenue * (1 + {{ falling }})
            and revenue < prior_period_revenue,
            false
        ) as is_underperforming,
        coalesce(buyers_percentile >= {{ high }} and aov_percentile <= {{ low }}, false) as is_traffic_led,
        coalesce(aov_percentile >= {{ high_end }}, false) as is_high_end_led,
        coalesce(
            managed_buyer_share_percentile >= {{ high }} and repurchase_rate_percentile >= {{ high }}, false
        ) as is_loyalty_led
    from ranked
),

top_mixes as (
    select
        store_mixes.store_id,
        store_mixes.fiscal_year,
        store_mixes.mix_dimension,
        store_mixes.mix_value,
        store_mixes.mix_share,
        row_number() over (
            partition by store_mixes.store_id, store_mixes.fiscal_year, store_mixes.mix_dimension
            order by store_mixes.mix_share desc, age_bands.sort_order asc, store_mixes.mix_value asc
        ) as mix_rank
    from store_mixes
    left join age_bands
        on
            store_mixes.mix_dimension = 'age_band'
            and store_mixes.mix_value = age_bands.age_band
),

mixed as (
    select
        ruled.*,
        top_categories.mix_value as top_category,
        top_categories.mix_share as top_category_share,
        top_age_bands.mix_value as top_age_band,
        top_age_bands.mix_share as top_age_band_share,
        {%- if with_clusters %}
        mix_clusters.mix_cluster,
        mix_clusters.mix_cluster_label
        {%- else %}
        cast(null as {{ dbt.type_int() }}) as mix_cluster,
        cast(null as {{ dbt.type_string() }}) as mix_cluster_label
        {%- endif %}
    from ruled
    left join top_mixes as top_categories
        on
            ruled.store_id = top_categories.store_id
            and ruled.fiscal_year = top_categories.fiscal_year
            and top_categories.mix_dimension = 'category'
            and top_categories.mix_rank = 1
    left join top_mixes as top_age_bands
        on
            ruled.store_id = top_age_bands.store_id
            and ruled.fiscal_year = top_age_bands.fiscal_year
            and top_age_bands.mix_dimension = 'age_band'
            and top_age_bands.mix_rank = 1
    {%- if with_clusters %}
    left join mix_clusters
        on
            ruled.store_id = mix_clusters.store_id
            and ruled.fiscal_year = mix_clusters.fiscal_year
    {%- endif %}
),

final as (
    select
        store_id,
        cast(fiscal_year as {{ dbt.type_int() }}) as year,  -- noqa: RF04
        year_start_date,
        year_end_date,
        reference_date,
        is_complete,
        opened_date,
        cast(
            {{ dbt.datediff('opened_date', 'reference_date', 'month') }}
            as {{ dbt.type_int() }}
        ) as months_open,
        revenue,
        cast(prior_period_revenue as decimal(18, 2)) as prior_period_revenue,
        cast(revenue as double) / nullif(prior_period_revenue, 0) - 1 as revenue_change_ratio,
        buyers,
        aov,
        managed_buyer_share,
        repurchase_rate,
        is_compared,
        {%- for column in percentile_columns %}
        {{ column }}_percentile,
        {%- endfor %}
        is_new_store,
        is_underperforming,
        is_traffic_led,
        is_high_end_led,
        is_loyalty_led,
        case
            when is_new_store then 'new_store'
            when is_underperforming then 'underperforming'
            when is_traffic_led then 'traffic_led'
            when is_high_end_led then 'high_end_led'
            when is_loyalty_led then 'loyalty_led'
            else 'balanced'
        end as store_archetype,
        {{ crm_as_of_date() }} as as_of_date,
        top_category,
        top_category_share,
        top_age_band,
        top_age_band_share,
        cast(mix_cluster as {{ dbt.type_int() }}) as mix_cluster,
        cast(mix_cluster_label as {{ dbt.type_string() }}) as mix_cluster_label
    from mixed
)

select * from final
