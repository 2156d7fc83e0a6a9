{{ config(post_hook="{{ crm_check_rejected_share('orders') }}") }}

{{ crm_validate_input('orders', extra_checks=[
    {'reason': 'refund_exceeds_amount', 'column': 'refund_amount', 'condition': 'refund_amount > amount'},
]) }}
