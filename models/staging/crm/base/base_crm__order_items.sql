{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('order_items') }}",
    "{{ crm_check_rejected_share('order_items') }}",
    "{{ crm_check_member_ids('order_items') }}",
]) }}

{{ crm_validate_input('order_items') }}
