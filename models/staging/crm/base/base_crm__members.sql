{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('members') }}",
    "{{ crm_check_rejected_share('members') }}",
    "{{ crm_check_member_ids('members') }}",
]) }}

{#- The bundled demo seed is the input while var raw_members is unset (build it first). #}
{%- if crm_raw_source('members').kind == 'seed' %}
-- depends_on: {{ ref('raw_members') }}
{%- endif %}

{{ crm_validate_input('members', source('crm_raw', 'members')) }}
