{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('orders') }}",
    "{{ crm_check_rejected_share('orders') }}",
    "{{ crm_check_member_ids('orders') }}",
]) }}

{#- The bundled demo seed is the input while var raw_orders is unset (build it first). #}
{%- if crm_raw_source('orders').kind == 'seed' %}
-- depends_on: {{ ref('raw_orders') }}
{%- endif %}

{{ crm_validate_input('orders', source('crm_raw', 'orders'), extra_checks=[
    {'reason': 'refund_exceeds_amount', 'column': 'refund_amount', 'condition': 'refund_amount > amount'},
    {'reason': 'paid_before_ordered', 'column': 'paid_at', 'condition': 'paid_at < ordered_at'},
]) }}
