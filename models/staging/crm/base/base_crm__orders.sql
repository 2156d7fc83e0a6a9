{{ config(post_hook=[
    "{{ crm_store_unparseable_lines('orders') }}",
    "{{ crm_check_rejected_share('orders') }}",
    "{{ crm_check_member_ids('orders') }}",
]) }}

{{ crm_validate_input('orders', extra_checks=[
    {'reason': 'refund_exceeds_amount', 'column': 'refund_amount', 'condition': 'refund_amount > amount'},
    {'reason': 'paid_before_ordered', 'column': 'paid_at', 'condition': 'paid_at < ordered_at'},
]) }}
