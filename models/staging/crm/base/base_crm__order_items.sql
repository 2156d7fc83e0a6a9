{{ config(post_hook="{{ crm_check_rejected_share('order_items') }}") }}

{{ crm_validate_input('order_items') }}
