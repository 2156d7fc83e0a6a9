{#-
    Incremental models (issue 9): orders, int_purchase_occasions_grouped and
    customer_lifecycle_history are rebuilt per customer. Every row of those
    models depends on one customer's whole history (occasion numbers, previous
    occasion, stage intervals), so a run recomputes every row of the customers
    in scope and leaves the others untouched:

      scope = customers (and, for guest orders, order_ids) with an order version
              changed after (watermark - var incremental_lookback_days), where the
              change time is coalesce(updated_at, paid_at, ordered_at) and every
              version of such an order counts (the superseded one names the member
              an order was moved away from)
            + orders whose order or purchase date moved inside the as_of_date
              window since the last run (as_of_date moved forward)
            + lifecycle history only: members changed after their own watermark or
              joined inside the moved window, and customers whose last purchase
              crosses a lifecycle boundary inside the moved window.

    The strategy `crm_customer_scope` deletes every row of the scope and inserts
    the recomputed rows (a customer whose purchases all disappeared keeps no row),
    then sets as_of_date on the other rows. State (watermarks, as_of_date, a
    fingerprint of the vars that change results) is one row per model in
    <target schema>.crm_incremental_state, written by the model's post-hook in the
    same transaction as its data. No state, a changed fingerprint or an earlier
    as_of_date puts every customer in scope (an in-place full rebuild).
    DuckDB only: on other targets the models are plain tables (Spark's Parquet
    tables have no delete) and every macro here renders nothing.
-#}

{% macro crm_incremental_materialization() %}
    {#- config(materialized=...) of the incremental models: incremental on DuckDB, table elsewhere. -#}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{% endmacro %}


{% macro crm_incremental_state_relation() %}
    {{ return(api.Relation.create(database=target.database, schema=target.schema,
                                  identifier='crm_incremental_state')) }}
{% endmacro %}


{% macro crm_incremental_state_setup() %}
    {#- on-run-start: the state table exists before models run in parallel threads. -#}
    {% if target.type != 'duckdb' %}
        {{ return('') }}
    {% endif %}
    {% set state = crm_incremental_state_relation() %}
    {{ return('create schema if not exists ' ~ target.schema ~ '; create table if not exists ' ~ state ~ ' ('
              ~ 'model_name varchar, orders_watermark timestamp, members_watermark timestamp, '
              ~ 'as_of_date date, fingerprint varchar, built_at timestamp)') }}
{% endmacro %}


{% macro crm_incremental_fingerprint() %}
    {#- The vars and model code a stored result depends on: any change rebuilds every customer. -#}
    {% set parts = [model.checksum.checksum if model.checksum is defined else ''] %}
    {% for name in ['raw_orders', 'raw_members', 'min_valid_date', 'lifecycle_boundaries'] %}
        {% do parts.append(name ~ '=' ~ (var(name, none) | string)) %}
    {% endfor %}
    {{ return(local_md5(parts | join('|'))) }}
{% endmacro %}


{% macro crm_incremental_state() %}
    {#-
        The scope of this run (compile time, DuckDB incremental runs only), as a dict:
        all (every customer in scope), reason, orders_cutoff / members_cutoff
        ('YYYY-MM-DD HH:MM:SS' or none), previous / current as_of_date ('YYYY-MM-DD').
    -#}
    {% set current = crm_as_of_date_value() %}
    {% set scope = {'all': true, 'reason': 'no incremental state', 'orders_cutoff': none,
                    'members_cutoff': none, 'previous_as_of_date': current, 'as_of_date': current} %}
    {% if not (execute and is_incremental()) %}
        {{ return(scope) }}
    {% endif %}
    {% set relation = crm_incremental_state_relation() %}
    {% set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                        identifier=relation.identifier) %}
    {% if found is none %}
        {{ return(scope) }}
    {% endif %}
    {% set result = run_query(
        "select orders_watermark, members_watermark, cast(as_of_date as varchar), fingerprint from "
        ~ relation ~ " where model_name = '" ~ this.identifier ~ "'"
    ) %}
    {% if result.rows | length != 1 %}
        {{ return(scope) }}
    {% endif %}
    {% set row = result.rows[0] %}
    {% set lookback_days = var('incremental_lookback_days') | string | trim %}
    {% if not modules.re.match('^\\d{1,5}$', lookback_days) %}
        {{ exceptions.raise_compiler_error(
            "var incremental_lookback_days = '" ~ lookback_days ~ "' must be a whole number of days (0 or more)."
        ) }}
    {% endif %}
    {% set lookback = modules.datetime.timedelta(days=lookback_days | int) %}
    {% do scope.update({'previous_as_of_date': row[2]}) %}
    {% if row[3] != crm_incremental_fingerprint() %}
        {% do scope.update({'reason': 'vars or model code changed since the last run'}) %}
    {% elif row[2] is none or row[2] > current %}
        {% do scope.update({'reason': 'as_of_date moved back from ' ~ row[2] ~ ' to ' ~ current}) %}
    {% else %}
        {% do scope.update({
            'all': false,
            'reason': 'changes since the watermarks minus ' ~ var('incremental_lookback_days') ~ ' days',
            'orders_cutoff': (row[0] - lookback).strftime('%Y-%m-%d %H:%M:%S') if row[0] is not none else none,
            'members_cutoff': (row[1] - lookback).strftime('%Y-%m-%d %H:%M:%S') if row[1] is not none else none,
        }) %}
    {% endif %}
    {{ return(scope) }}
{% endmacro %}


{% macro crm_incremental_changed_orders(scope) %}
    {#-
        SQL: (order_id, member_id) of every version (kept, superseded, rejected) of
        the orders in scope. The ref is outside any condition so that every caller
        depends on base_crm__orders.
    -#}
    {% set base_orders = ref('base_crm__orders') %}
    {% set changed_at = 'coalesce(updated_at, paid_at, ordered_at)' %}
    {% set moved = scope.as_of_date > scope.previous_as_of_date %}
    select
        order_id,
        member_id
    from {{ base_orders }}
    where order_id in (
        select order_id
        from {{ base_orders }}
        where
            {%- if scope.orders_cutoff is not none %}
            {{ changed_at }} > cast('{{ scope.orders_cutoff }}' as {{ dbt.type_timestamp() }})
            {%- else %}
            {{ changed_at }} is not null
            {%- endif %}
            {%- if moved %}
            or (
                disposition = 'kept'
                and (
                    cast(ordered_at as date) > {{ crm_date_literal(scope.previous_as_of_date) }}
                    or cast(coalesce(paid_at, ordered_at) as date) > {{ crm_date_literal(scope.previous_as_of_date) }}
                )
            )
            {%- endif %}
    )
{%- endmacro %}


{% macro crm_incremental_scope_customers(scope, lifecycle=false) %}
    {#- SQL: customer_id of every customer in scope (see the top of this file). -#}
    {% set moved = scope.as_of_date > scope.previous_as_of_date %}
    select member_id as customer_id
    from ({{ crm_incremental_changed_orders(scope) }}) as changed_orders
    where member_id is not null
    {%- if lifecycle %}
    {% set base_members = ref('base_crm__members') %}
    {% set customers = ref('int_customers_aggregated') %}
    union all
    select member_id as customer_id
    from {{ base_members }}
    where
        member_id is not null
        and (
            {%- if scope.members_cutoff is not none %}
            coalesce(updated_at, joined_at) > cast('{{ scope.members_cutoff }}' as {{ dbt.type_timestamp() }})
            {%- else %}
            coalesce(updated_at, joined_at) is not null
            {%- endif %}
            {%- if moved %}
            or cast(joined_at as date) > {{ crm_date_literal(scope.previous_as_of_date) }}
            {%- endif %}
        )
    {%- if moved %}
    {#- Customers whose last purchase_date + a stage's first day falls in (previous, current]. -#}
    {%- set previous = modules.datetime.date.fromisoformat(scope.previous_as_of_date) %}
    {%- set current = modules.datetime.date.fromisoformat(scope.as_of_date) %}
    union all
    select customer_id
    from {{ customers }}
    where
        {%- for days in crm_lifecycle_boundaries() %}
        {%- set shift = modules.datetime.timedelta(days=days) %}
        {{ 'or ' if not loop.first }}(
            last_purchase_date > {{ crm_date_literal((previous - shift).isoformat()) }}
            and last_purchase_date <= {{ crm_date_literal((current - shift).isoformat()) }}
        )
        {%- endfor %}
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{% macro crm_incremental_in_scope(customer_column, order_column=none, lifecycle=false) %}
    {#-
        SQL predicate: the row belongs to the scope of this incremental run
        (customer_column in the scope customers, or order_column in the changed
        orders). `true` on a full build, when every customer is in scope, and on
        targets without incremental models. Also used by the strategy's delete.
    -#}
    {% set scope = crm_incremental_state() %}
    {% if scope.all or target.type != 'duckdb' %}
        {{ return('true') }}
    {% endif %}
    {% set predicate = customer_column ~ ' in (' ~ crm_incremental_scope_customers(scope, lifecycle) ~ ')' %}
    {% if order_column %}
        {% set predicate = '(' ~ predicate ~ ' or ' ~ order_column ~ ' in (select order_id from ('
                           ~ crm_incremental_changed_orders(scope) ~ ') as changed_orders))' %}
    {% endif %}
    {{ return(predicate) }}
{% endmacro %}


{% macro crm_incremental_scope_refs(lifecycle=false) %}
    {#-
        Call at the top of an incremental model: takes the refs the scope reads
        at parse time, whatever branch runs later (dbt records a model's
        dependencies from the refs rendered while parsing).
    -#}
    {% do ref('base_crm__orders') %}
    {% if lifecycle %}
        {% do ref('base_crm__members') %}
        {% do ref('int_customers_aggregated') %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro crm_incremental_record_state() %}
    {#-
        Post-hook of each incremental model (full and incremental runs): the
        watermarks are the latest change times in the inputs this run saw (not
        after the build's date: a future timestamp is rejected and must not move
        the watermark), with the as_of_date and fingerprint the rows were built with.
    -#}
    {% if target.type != 'duckdb' %}
        {{ return('') }}
    {% endif %}
    {% set state = crm_incremental_state_relation() %}
    {% set orders_changed_at = 'coalesce(updated_at, paid_at, ordered_at)' %}
    {% set members_changed_at = 'coalesce(updated_at, joined_at)' %}
    delete from {{ state }} where model_name = '{{ this.identifier }}';
    insert into {{ state }}
    select
        '{{ this.identifier }}',
        (
            select max({{ orders_changed_at }}) from {{ ref('base_crm__orders') }}
            where cast({{ orders_changed_at }} as date) <= {{ crm_build_date() }}
        ),
        (
            select max({{ members_changed_at }}) from {{ ref('base_crm__members') }}
            where cast({{ members_changed_at }} as date) <= {{ crm_build_date() }}
        ),
        {{ crm_as_of_date_legacy() }},
        '{{ crm_incremental_fingerprint() }}',
        current_timestamp
{%- endmacro %}


{% macro get_incremental_crm_customer_scope_sql(arg_dict) %}
    {#-
        Custom incremental strategy (DuckDB): delete every row of the scope of this
        run, insert the recomputed rows, then set as_of_date on the rows outside the
        scope. The model's config meta.crm_incremental gives the scope columns:
        {customer_column, order_column (optional), lifecycle (bool)}.
    -#}
    {% set options = config.get('meta', {}).get('crm_incremental', {}) %}
    {% set target_relation = arg_dict['target_relation'] %}
    {% set columns = arg_dict['dest_columns'] | map(attribute='name') | list %}
    {% set column_list = get_quoted_csv(columns) %}
    {% set scope = crm_incremental_state() %}
    {{ log('crm incremental ' ~ this.identifier ~ ': ' ~ ('every customer' if scope.all else 'customers in scope')
           ~ ' (' ~ scope.reason ~ '; as_of_date ' ~ scope.previous_as_of_date ~ ' -> ' ~ scope.as_of_date ~ ')',
           info=true) }}
    delete from {{ target_relation }}
    where {{ crm_incremental_in_scope(options.get('customer_column', 'customer_id'),
                                      options.get('order_column'), options.get('lifecycle', false)) }};

    insert into {{ target_relation }} ({{ column_list }})
    select {{ column_list }} from {{ arg_dict['temp_relation'] }}
    {%- if 'as_of_date' in columns | map('lower') | list %};

    update {{ target_relation }}
    set as_of_date = {{ crm_as_of_date_legacy() }}
    where as_of_date <> {{ crm_as_of_date_legacy() }}
    {%- endif %}
{% endmacro %}
