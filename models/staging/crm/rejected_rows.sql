{#- Every rejected raw row of every input, with its reason (docs/definitions.md#raw-inputs). -#}
{%- set inputs = crm_raw_contract().keys() | list %}

with

{% for input_name in inputs -%}
{{ input_name }} as (
    select
        '{{ input_name }}' as input_name,
        record_key,
        rejection_reason as reason_code,
        rejection_detail as reason_column,
        raw_values,
        copies
    from {{ ref('base_crm__' ~ input_name) }}
    where disposition = 'rejected'
),

{% endfor -%}
final as (
    {%- for input_name in inputs %}
    select * from {{ input_name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
