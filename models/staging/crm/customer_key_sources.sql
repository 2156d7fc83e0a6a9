{#- Member ids before hashing (var customer_key = hash): read by customer_key_map, which drops this view. -#}
{%- set sources = [] %}
{%- for input_name, spec in crm_raw_contract().items() %}
    {%- for column in spec.columns if column.member_key and crm_raw_source(input_name).kind != 'absent' %}
        {%- do sources.append((input_name, column.name)) %}
    {%- endfor %}
{%- endfor %}
{#- The bundled demo seeds are the inputs whose var is unset (build them first). #}
{%- for input_name in sources | map('first') | unique if crm_raw_source(input_name).kind == 'seed' %}
-- depends_on: {{ ref('raw_' ~ input_name) }}
{%- endfor %}

with

{% for input_name, column_name in sources -%}
{{ input_name }}_{{ column_name }} as (
    select {{ column_name }} as member_id
    from (
        {{ crm_raw_input(input_name, source('crm_raw', input_name), hash_keys=false) | indent(8) }}
    ) as raw_input
),

{% endfor -%}
unioned as (
    {%- for input_name, column_name in sources %}
    select member_id from {{ input_name }}_{{ column_name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select distinct member_id
    from unioned
    where member_id is not null
)

select * from final
