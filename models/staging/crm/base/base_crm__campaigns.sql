{{ config(post_hook="{{ crm_check_rejected_share('campaigns') }}") }}

{{ crm_validate_input('campaigns') }}
