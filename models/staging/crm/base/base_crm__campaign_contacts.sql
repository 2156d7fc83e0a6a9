{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('campaign_contacts') }}",
    "{{ crm_check_rejected_share('campaign_contacts') }}",
    "{{ crm_check_member_ids('campaign_contacts') }}",
]) }}

{{ crm_validate_input('campaign_contacts') }}
