{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('member_events') }}",
    "{{ crm_check_rejected_share('member_events') }}",
    "{{ crm_check_member_ids('member_events') }}",
]) }}

{#- The bundled demo seed is the input while var raw_member_events is unset (build it first). #}
{%- if crm_raw_source('member_events').kind == 'seed' %}
-- depends_on: {{ ref('raw_member_events') }}
{%- endif %}

{{ crm_validate_input('member_events', source('crm_raw', 'member_events')) }}
