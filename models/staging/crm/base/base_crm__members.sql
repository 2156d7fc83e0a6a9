{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('members') }}",
    "{{ crm_check_rejected_share('members') }}",
    "{{ crm_check_member_ids('members') }}",
]) }}

{{ crm_validate_input('members') }}
