{#-
    Run-time checks around the build's dates (docs/definitions.md#build-dates,
    docs/decisions.md "Dates"). The default as_of_date itself, with its stray-date
    rule, is computed in SQL by models/intermediate/context/int_build_context.sql;
    these hooks only stop the build with one clear message when there is nothing to
    build from, and name the stray orders when some were set aside.
-#}

{% macro crm_check_orders_usable() %}
    {#-
        Post-hook of stg_crm__orders: one clear message, before any model downstream
        runs, when there is nothing to build from: no purchase at all (an empty or
        header-only file, every row rejected, no member_id, no paid status), or a var
        as_of_date before the first purchase date.
    -#}
    {% if not execute %}
        {{ return('select 1') }}
    {% endif %}
    {% set row = run_query(
        'select count(*), sum(case when is_purchase then 1 else 0 end), '
        ~ dbt.cast('min(purchase_date)', dbt.type_string()) ~ ' from ' ~ this
    ).rows[0] %}
    {% set kept, purchases, first_date = row[0], row[1] or 0, row[2] %}
    {% if purchases == 0 %}
        {{ exceptions.raise_compiler_error(
            "raw_orders: no purchase to build from (" ~ kept ~ " orders kept; rejected rows and counts in "
            ~ "staging.rejected_rows and staging.row_accounting). A purchase is an order with status paid, shipped "
            ~ "or completed, a member_id and amount - refund_amount > 0: point raw_orders at your orders export."
        ) }}
    {% endif %}
    {% set as_of = var('as_of_date', none) %}
    {% if as_of is not none and (as_of | string | trim) != '' %}
        {% set as_of = crm_parse_iso_date(as_of, 'var as_of_date') %}
        {% if as_of < (first_date | string)[:10] %}
            {{ exceptions.raise_compiler_error(
                "var as_of_date = " ~ as_of ~ " is before the first purchase date in raw_orders ("
                ~ (first_date | string)[:10] ~ "), so every mart would be empty: set as_of_date on or after it, "
                ~ "or leave it unset (the latest purchase date)."
            ) }}
        {% endif %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}


{% macro crm_warn_stray_purchases(orders) %}
    {#-
        Post-hook of int_build_context: when stray dates kept the default as_of_date
        from moving (first_stray_date is set), a warning names the stray orders.
    -#}
    {% if not execute %}
        {{ return('select 1') }}
    {% endif %}
    {% set row = run_query(
        'select ' ~ dbt.cast('first_stray_date', dbt.type_string()) ~ ', '
        ~ dbt.cast('latest_purchase_date', dbt.type_string()) ~ ', '
        ~ dbt.cast('as_of_date', dbt.type_string()) ~ ' from ' ~ this
    ).rows[0] %}
    {% set first_stray, latest, as_of = row[0], row[1], row[2] %}
    {% if first_stray is none %}
        {{ return('select 1') }}
    {% endif %}
    {% set gap_days = var('stray_gap_days') | int %}
    {% set stray = run_query(
        'select order_id, ' ~ dbt.cast('purchase_date', dbt.type_string()) ~ ' from ' ~ orders
        ~ ' where is_purchase and purchase_date >= ' ~ crm_date_literal((first_stray | string)[:10])
        ~ ' order by purchase_date, order_id'
    ).rows %}
    {% set named = [] %}
    {% for stray_row in stray[:10] %}
        {% do named.append(stray_row[0] ~ ' (' ~ (stray_row[1] | string)[:10] ~ ')') %}
    {% endfor %}
    {% do exceptions.warn(
        "as_of_date defaults to " ~ (as_of | string)[:10] ~ ", not " ~ (latest | string)[:10] ~ ": " ~ stray | length
        ~ " stray purchase(s) dated more than " ~ gap_days ~ " days (var stray_gap_days) after the rest are ignored: "
        ~ named | join(', ') ~ (', ...' if stray | length > 10 else '')
        ~ ". They stay in staging.stg_crm__orders; set var as_of_date to include them or fix their dates."
    ) %}
    {{ return('select 1') }}
{% endmacro %}
