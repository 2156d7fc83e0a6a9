{{ config(post_hook="{{ crm_check_rejected_share('stores') }}") }}

{{ crm_validate_input('stores') }}
