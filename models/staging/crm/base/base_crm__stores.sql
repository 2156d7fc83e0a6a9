{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('stores') }}",
    "{{ crm_check_rejected_share('stores') }}",
    "{{ crm_check_member_ids('stores') }}",
]) }}

{{ crm_validate_input('stores') }}
