{{ config(post_hook="{{ crm_check_rejected_share('member_events') }}") }}

{{ crm_validate_input('member_events') }}
