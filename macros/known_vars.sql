{#-
    Unknown vars stop the build (docs/definitions.md#raw-inputs): dbt itself ignores a var
    nobody reads, so a typo (`raw_member`, `as_of_dat`) would silently build on
    the demo data or the default date. crm_check_unknown_vars (on-run-start)
    compares the vars given on the command line with the project's vars and
    names the closest known one.

    crm_known_vars() lists the vars of dbt_project.yml; a test
    (tests/python/test_known_vars.py) keeps the two lists equal.
-#}

{% macro crm_known_vars() %}
    {{ return([
        'raw_orders', 'raw_members', 'raw_order_items', 'raw_stores', 'raw_campaigns',
        'raw_campaign_contacts', 'raw_member_events', 'raw_points',
        'raw_orders_csv', 'raw_members_csv', 'raw_order_items_csv', 'raw_stores_csv', 'raw_campaigns_csv',
        'raw_campaign_contacts_csv', 'raw_member_events_csv', 'raw_points_csv',
        'raw_freshness_warn_after_days', 'raw_freshness_error_after_days',
        'business_timezone', 'customer_key', 'customer_key_map_path',
        'as_of_date', 'stray_gap_days', 'stray_max_share', 'min_valid_date', 'max_rejected_share',
        'lifecycle_boundaries', 'rfm_window_days', 'rfm_bins', 'rfm_recency_thresholds',
        'rfm_frequency_thresholds', 'rfm_monetary_thresholds', 'value_tier_top_share', 'value_tier_high_share',
        'value_tier_middle_share', 'member_tier_window_days', 'member_tier_near_upgrade_share',
        'member_tier_downgrade_lookahead_days',
        'cohort_grain', 'retention_window_days', 'repurchase_window_days', 'customer_retention_window_days',
        'history_start_date', 'kpi_recency_bands',
        'active_customer_window_days', 'time_spine_start', 'time_spine_end',
        'campaign_before_after_window_days', 'contact_sms_unit_cost', 'contact_email_unit_cost',
        'contact_yearly_cap', 'contact_pressure_window_days', 'contact_high_value_tiers',
        'trigger_unpaid_order_days', 'trigger_full_month_days', 'trigger_birthday_days', 'trigger_intent_days',
        'trigger_repurchase_prompt_days', 'trigger_holiday_days', 'program_lost_stage_budget_days',
        'points_expiring_days', 'points_large_redemption_threshold',
        'vip_shift_window_days', 'vip_shift_interval_tolerance', 'vip_shift_spend_bands',
        'break_even_margin_per_response',
        'clv_model', 'clv_time_unit', 'clv_annual_discount_rate', 'clv_calibration_end', 'clv_flag_high_p_alive',
        'clv_flag_low_p_alive', 'clv_flag_top_share', 'clv_flag_low_monetary_share',
        'fiscal_year_start_month', 'store_archetype_new_store_months', 'store_archetype_high_percentile',
        'store_archetype_low_percentile', 'store_archetype_high_end_percentile', 'store_archetype_falling_change',
        'store_mix_clusters', 'store_mix_cluster_seed',
        'target_sheet_year', 'target_sheet_store_id',
        'category_interval_multiplier', 'category_interval_min_gaps', 'category_interval_default_days',
        'category_heavy_user_share', 'association_min_pair_occasions', 'association_min_support',
        'next_category_min_lift',
    ]) }}
{% endmacro %}


{% macro crm_cli_vars() %}
    {#- The vars given with --vars, as a mapping (dbt keeps them as a dict or as YAML text). -#}
    {% set given = invocation_args_dict.get('vars') or {} %}
    {% if given is string %}
        {% set given = fromyaml(given) or {} %}
    {% endif %}
    {{ return(given) }}
{% endmacro %}


{% macro crm_check_unknown_vars() %}
    {% if execute %}
        {% set known = crm_known_vars() %}
        {% for name in crm_cli_vars().keys() | sort %}
            {% if name not in known %}
                {% set closest = crm_closest_name(name, known) %}
                {{ exceptions.raise_compiler_error(
                    "Unknown var '" ~ name ~ "'"
                    ~ (": did you mean '" ~ closest ~ "'?" if closest else ".")
                    ~ " Fix the name in --vars (known vars: dbt_project.yml)."
                ) }}
            {% endif %}
        {% endfor %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}


{% macro crm_closest_name(name, candidates) %}
    {#- The candidate with the smallest edit distance to name (ties: the first listed),
        or none when even the closest needs more edits than half the name's length. -#}
    {% set best = namespace(name=none, distance=999) %}
    {% for candidate in candidates %}
        {% set distance = crm_edit_distance(name | lower, candidate | lower) %}
        {% if distance < best.distance %}
            {% set best.name = candidate %}
            {% set best.distance = distance %}
        {% endif %}
    {% endfor %}
    {% if best.distance > [(name | length) // 2, 1] | max %}
        {{ return(none) }}
    {% endif %}
    {{ return(best.name) }}
{% endmacro %}


{% macro crm_edit_distance(left, right) %}
    {#- Levenshtein distance (insertions, deletions, substitutions), one row at a time. -#}
    {% set state = namespace(previous=range((right | length) + 1) | list) %}
    {% for left_char in left %}
        {% set current = [loop.index] %}
        {% for right_char in right %}
            {% do current.append([
                state.previous[loop.index] + 1,
                current[loop.index0] + 1,
                state.previous[loop.index0] + (0 if left_char == right_char else 1),
            ] | min) %}
        {% endfor %}
        {% set state.previous = current %}
    {% endfor %}
    {{ return(state.previous[-1]) }}
{% endmacro %}


{% macro crm_check_input_vars() %}
    {#-
        on-run-start: the vars of the raw inputs (docs/definitions.md#raw-inputs), checked before
        anything runs: unknown vars, business_timezone, customer_key (and its salt),
        the CSV settings of each CSV input, the stray-date rule.
    -#}
    {% if execute %}
        {% do crm_check_unknown_vars() %}
        {% do crm_business_timezone() %}
        {% do crm_customer_key_mode() %}
        {% for input_name in crm_raw_contract().keys() %}
            {% set source = crm_raw_source(input_name) %}
            {% if source.kind == 'file' and source.format == 'csv' %}
                {% do crm_csv_dialect(input_name, source.value) %}
            {% elif var('raw_' ~ input_name ~ '_csv', none) %}
                {{ exceptions.raise_compiler_error(
                    "var raw_" ~ input_name ~ "_csv is set but raw_" ~ input_name ~ " is not a CSV file"
                    ~ " (.csv, .csv.gz, .tsv): remove it or point raw_" ~ input_name ~ " to the CSV file."
                ) }}
            {% endif %}
        {% endfor %}
        {% if not modules.re.match('^[0-9]+$', var('stray_gap_days') | string) %}
            {{ exceptions.raise_compiler_error(
                "var stray_gap_days = '" ~ var('stray_gap_days') ~ "' must be a whole number of days (e.g. 30)."
            ) }}
        {% endif %}
        {% if not modules.re.match('^(0|1|0?\\.\\d+|1\\.0*)$', var('stray_max_share') | string) %}
            {{ exceptions.raise_compiler_error(
                "var stray_max_share = '" ~ var('stray_max_share') ~ "' must be a number between 0 and 1 (e.g. 0.001)."
            ) }}
        {% endif %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}
