{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('member_events') }}",
    "{{ crm_check_rejected_share('member_events') }}",
    "{{ crm_check_member_ids('member_events') }}",
]) }}

{{ crm_validate_input('member_events') }}
