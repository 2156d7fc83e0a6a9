{{ config(post_hook="{{ crm_check_rejected_share('members') }}") }}

{{ crm_validate_input('members') }}
