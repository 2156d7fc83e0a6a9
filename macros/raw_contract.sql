{#-
    The raw data contract (docs/definitions.md#raw-inputs), in one place.

    Every input: its columns in contract order, the key, the column that
    decides between versions of a key (latest wins), and per column:
      type      text | timestamp | date | money | integer | boolean
      required  the column must exist in the input (a missing required column
                stops the build) and a row without a value is rejected
      fact_time a timestamp of something that happened: rejected when after the
                build's date or before var min_valid_date
      default   SQL used when the value is null (or the column is absent)
      accepted  the allowed values (compared after lower/upper-casing by
                `normalise`), anything else is rejected as unknown_value
      member_key  a member id: hashed on read when var customer_key = hash
                (macros/customer_key.sql)
      pii       masked in staging.rejected_rows' raw_values
-#}
{% macro crm_raw_contract() %}
    {% set contract = {
        'orders': {
            'key': ['order_id'],
            'version_column': 'updated_at',
            'columns': [
                {'name': 'order_id', 'type': 'text', 'required': true},
                {'name': 'member_id', 'type': 'text', 'member_key': true},
                {'name': 'store_id', 'type': 'text'},
                {'name': 'channel', 'type': 'text', 'normalise': 'lower'},
                {'name': 'status', 'type': 'text', 'normalise': 'lower', 'default': "'completed'",
                 'accepted': ['created', 'paid', 'shipped', 'completed', 'cancelled', 'refunded'],
                 'reason': 'unknown_status'},
                {'name': 'ordered_at', 'type': 'timestamp', 'required': true, 'fact_time': true},
                {'name': 'paid_at', 'type': 'timestamp', 'fact_time': true},
                {'name': 'amount', 'type': 'money', 'required': true, 'non_negative': true},
                {'name': 'refund_amount', 'type': 'money', 'default': '0', 'non_negative': true},
                {'name': 'updated_at', 'type': 'timestamp', 'fact_time': true},
            ],
        },
        'members': {
            'key': ['member_id'],
            'version_column': 'updated_at',
            'columns': [
                {'name': 'member_id', 'type': 'text', 'required': true, 'member_key': true},
                {'name': 'joined_at', 'type': 'timestamp', 'fact_time': true},
                {'name': 'birth_date', 'type': 'date', 'not_future': true},
                {'name': 'gender', 'type': 'text', 'normalise': 'upper', 'default': "'U'",
                 'accepted': ['F', 'M', 'U']},
                {'name': 'city', 'type': 'text'},
                {'name': 'city_tier', 'type': 'integer', 'accepted': [1, 2, 3, 4, 5]},
                {'name': 'home_store_id', 'type': 'text'},
                {'name': 'referred_by_member_id', 'type': 'text', 'member_key': true},
                {'name': 'email', 'type': 'text', 'pii': true},
                {'name': 'phone', 'type': 'text', 'pii': true},
                {'name': 'sms_opt_in', 'type': 'boolean', 'default': 'false'},
                {'name': 'email_opt_in', 'type': 'boolean', 'default': 'false'},
                {'name': 'updated_at', 'type': 'timestamp', 'fact_time': true},
            ],
        },
        'order_items': {
            'key': ['order_id', 'line_number'],
            'version_column': none,
            'columns': [
                {'name': 'order_id', 'type': 'text', 'required': true},
                {'name': 'line_number', 'type': 'integer', 'required': true},
                {'name': 'product_id', 'type': 'text'},
                {'name': 'category', 'type': 'text', 'normalise': 'lower'},
                {'name': 'quantity', 'type': 'integer', 'default': '1', 'non_negative': true},
                {'name': 'amount', 'type': 'money', 'required': true, 'non_negative': true},
            ],
        },
        'stores': {
            'key': ['store_id'],
            'version_column': none,
            'columns': [
                {'name': 'store_id', 'type': 'text', 'required': true},
                {'name': 'store_name', 'type': 'text'},
                {'name': 'city', 'type': 'text'},
                {'name': 'store_type', 'type': 'text', 'normalise': 'lower', 'default': "'counter'",
                 'accepted': ['counter', 'online']},
                {'name': 'opened_at', 'type': 'date', 'not_future': true},
            ],
        },
        'campaigns': {
            'key': ['campaign_id'],
            'version_column': none,
            'columns': [
                {'name': 'campaign_id', 'type': 'text', 'required': true},
                {'name': 'campaign_name', 'type': 'text'},
                {'name': 'objective', 'type': 'text', 'normalise': 'lower'},
                {'name': 'channel', 'type': 'text', 'normalise': 'lower',
                 'accepted': ['sms', 'email', 'direct_mail', 'call', 'event']},
                {'name': 'start_date', 'type': 'date', 'required': true},
                {'name': 'end_date', 'type': 'date'},
                {'name': 'response_window_days', 'type': 'integer', 'default': '30', 'non_negative': true},
                {'name': 'cost_per_contact', 'type': 'money', 'default': '0', 'non_negative': true},
                {'name': 'incentive_cost_per_response', 'type': 'money', 'default': '0', 'non_negative': true},
                {'name': 'promoted_product_id', 'type': 'text'},
                {'name': 'promoted_category', 'type': 'text', 'normalise': 'lower'},
                {'name': 'program_id', 'type': 'text', 'normalise': 'lower'},
                {'name': 'margin_per_response', 'type': 'money', 'non_negative': true},
            ],
        },
        'campaign_contacts': {
            'key': ['campaign_id', 'member_id'],
            'version_column': none,
            'columns': [
                {'name': 'campaign_id', 'type': 'text', 'required': true},
                {'name': 'member_id', 'type': 'text', 'required': true, 'member_key': true},
                {'name': 'group_name', 'type': 'text', 'normalise': 'lower', 'default': "'treatment'",
                 'accepted': ['treatment', 'control']},
                {'name': 'contacted_at', 'type': 'timestamp', 'required': true, 'fact_time': true},
                {'name': 'attended', 'type': 'boolean'},
            ],
        },
        'member_events': {
            'key': ['member_id', 'event_type', 'occurred_at', 'product_id'],
            'version_column': none,
            'columns': [
                {'name': 'member_id', 'type': 'text', 'required': true, 'member_key': true},
                {'name': 'event_type', 'type': 'text', 'normalise': 'lower', 'required': true,
                 'accepted': ['visit', 'search', 'favorite', 'cart', 'inquiry']},
                {'name': 'occurred_at', 'type': 'timestamp', 'required': true, 'fact_time': true},
                {'name': 'product_id', 'type': 'text'},
            ],
        },
        'points': {
            'key': ['member_id', 'occurred_at', 'reason', 'points_delta', 'expires_at'],
            'version_column': none,
            'columns': [
                {'name': 'member_id', 'type': 'text', 'required': true, 'member_key': true},
                {'name': 'points_delta', 'type': 'integer', 'required': true},
                {'name': 'reason', 'type': 'text', 'normalise': 'lower'},
                {'name': 'occurred_at', 'type': 'timestamp', 'required': true, 'fact_time': true},
                {'name': 'expires_at', 'type': 'timestamp'},
            ],
        },
    } %}
    {{ return(contract) }}
{% endmacro %}


{% macro crm_raw_input_spec(input_name) %}
    {% set contract = crm_raw_contract() %}
    {% if input_name not in contract %}
        {{ exceptions.raise_compiler_error(
            "Unknown raw input '" ~ input_name ~ "'. Known inputs: " ~ (contract.keys() | list | join(', '))
        ) }}
    {% endif %}
    {{ return(contract[input_name]) }}
{% endmacro %}
