{#- Store buyers per period: one row per store x period (grain month = calendar
    month, year = fiscal year) x customer with at least one occasion at the store in
    the period: occasions, orders and net spend there, and whether it is the
    customer's first period at the store (new to the store). -#}
{{ config(materialized='table') }}

{%- set grains = ['month', 'year'] %}

with

store_occasions as (
    select * from {{ ref('int_store_occasions_grouped') }}
),

{% for grain in grains %}
{{ grain }}_buyers as (
    select
        store_id,
        '{{ grain }}' as period_grain,
        {{ crm_planning_period_start(grain, 'purchase_date') }} as period_start,
        customer_id,
        count(*) as occasions_count,
        sum(orders_count) as orders_count,
        sum(net_amount) as revenue,
        min(occasion_number) as first_occasion_number
    from store_occasions
    group by
        store_id,
        {{ crm_planning_period_start(grain, 'purchase_date') }},
        customer_id
),

{% endfor %}
buyer_periods as (
    {%- for grain in grains %}
    select * from {{ grain }}_buyers
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        store_id,
        period_grain,
        period_start,
        case
            {%- for grain in grains %}
            when period_grain = '{{ grain }}' then {{ crm_planning_period_end(grain, 'period_start') }}
            {%- endfor %}
        end as period_end,
        customer_id,
        cast(occasions_count as {{ dbt.type_bigint() }}) as occasions_count,
        cast(orders_count as {{ dbt.type_bigint() }}) as orders_count,
        cast(revenue as decimal(18, 2)) as revenue,
        first_occasion_number = 1 as is_new_to_store
    from buyer_periods
)

select * from final
