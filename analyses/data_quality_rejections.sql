-- Which raw rows were rejected, and why: one line per input and reason, with an example.
-- Run: dbt compile --select data_quality_rejections, then execute the compiled SQL read-only.

with

rejected as (
    select * from {{ ref('rejected_rows') }}
),

accounting as (
    select * from {{ ref('row_accounting') }}
),

reasons as (
    select
        input_name,
        reason_code,
        reason_column,
        count(*) as rejected_rows,
        min(raw_values) as example_raw_values
    from rejected
    group by input_name, reason_code, reason_column
),

final as (
    select
        reasons.input_name,
        reasons.reason_code,
        reasons.reason_column,
        reasons.rejected_rows,
        accounting.rows_in,
        reasons.example_raw_values,
        cast(reasons.rejected_rows as double) / nullif(accounting.rows_in, 0) as share_of_input
    from reasons
    inner join accounting
        on reasons.input_name = accounting.input_name
)

select * from final
order by input_name asc, rejected_rows desc
