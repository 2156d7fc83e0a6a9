{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('campaigns') }}",
    "{{ crm_check_rejected_share('campaigns') }}",
    "{{ crm_check_member_ids('campaigns') }}",
]) }}

{{ crm_validate_input('campaigns') }}
