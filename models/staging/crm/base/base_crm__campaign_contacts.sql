{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('campaign_contacts') }}",
    "{{ crm_check_rejected_share('campaign_contacts') }}",
    "{{ crm_check_member_ids('campaign_contacts') }}",
]) }}

{#- The bundled demo seed is the input while var raw_campaign_contacts is unset (build it first). #}
{%- if crm_raw_source('campaign_contacts').kind == 'seed' %}
-- depends_on: {{ ref('raw_campaign_contacts') }}
{%- endif %}

{{ crm_validate_input('campaign_contacts', source('crm_raw', 'campaign_contacts')) }}
