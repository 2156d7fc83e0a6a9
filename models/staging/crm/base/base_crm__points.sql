{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('points') }}",
    "{{ crm_check_rejected_share('points') }}",
    "{{ crm_check_member_ids('points') }}",
]) }}

{#- The bundled demo seed is the input while var raw_points is unset (build it first). #}
{%- if crm_raw_source('points').kind == 'seed' %}
-- depends_on: {{ ref('raw_points') }}
{%- endif %}

{{ crm_validate_input('points', source('crm_raw', 'points')) }}
