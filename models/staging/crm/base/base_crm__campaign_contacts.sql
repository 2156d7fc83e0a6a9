{{ config(post_hook="{{ crm_check_rejected_share('campaign_contacts') }}") }}

{{ crm_validate_input('campaign_contacts') }}
