{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('campaigns') }}",
    "{{ crm_check_rejected_share('campaigns') }}",
    "{{ crm_check_member_ids('campaigns') }}",
]) }}

{#- The bundled demo seed is the input while var raw_campaigns is unset (build it first). #}
{%- if crm_raw_source('campaigns').kind == 'seed' %}
-- depends_on: {{ ref('raw_campaigns') }}
{%- endif %}

{{ crm_validate_input('campaigns', source('crm_raw', 'campaigns')) }}
