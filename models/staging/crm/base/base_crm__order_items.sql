{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('order_items') }}",
    "{{ crm_check_rejected_share('order_items') }}",
    "{{ crm_check_member_ids('order_items') }}",
]) }}

{#- The bundled demo seed is the input while var raw_order_items is unset (build it first). #}
{%- if crm_raw_source('order_items').kind == 'seed' %}
-- depends_on: {{ ref('raw_order_items') }}
{%- endif %}

{{ crm_validate_input('order_items', source('crm_raw', 'order_items')) }}
