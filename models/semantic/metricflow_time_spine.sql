{#- MetricFlow's day time spine (models/semantic): one row per day from var
    time_spine_start to var time_spine_end. dbt's cross-database date_spine (a
    numbers list from cross-joined powers of two and dbt.dateadd), so it builds on
    DuckDB and Spark alike. -#}

with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('time_spine_start') ~ "' as date)",
        "cast('" ~ var('time_spine_end') ~ "' as date)"
    ) | indent(4) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
