{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('stores') }}",
    "{{ crm_check_rejected_share('stores') }}",
    "{{ crm_check_member_ids('stores') }}",
]) }}

{#- The bundled demo seed is the input while var raw_stores is unset (build it first). #}
{%- if crm_raw_source('stores').kind == 'seed' %}
-- depends_on: {{ ref('raw_stores') }}
{%- endif %}

{{ crm_validate_input('stores', source('crm_raw', 'stores')) }}
