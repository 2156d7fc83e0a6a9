{#-
    Treatment vs control comparison of campaign groups, shared by
    campaign_performance and campaign_segment_performance so both use one
    definition (docs/decisions.md, campaign evaluation).

    `grouped` names a relation (a CTE) with one row per `keys` x group_name
    (treatment | control) and the columns contacted, responders, orders_count,
    revenue, cost_per_contact, incentive_cost_per_response. Returns a select of
    every column of `grouped` plus:
      response_rate, aov, has_control_group (both rows), and on treatment rows
      (null on control rows): control_contacted, control_responders,
      control_response_rate, lift, relative_lift, z_statistic, p_value,
      lift_ci_lower, lift_ci_upper, is_significant, incremental_responders,
      incremental_revenue, cost, roi, input_output_ratio, input_output_ratio_label.
    aov is rounded half up from integer cents (crm_customer_money_div), so DuckDB
    and Spark agree on half cents.
    incremental_revenue = incremental_responders x the treatment group's aov, unrounded
    (the control group's aov when the treatment group has no order, 0 when neither
    has), rounded half away from zero to cents once at the end (sign x floor(|x| * 100 + 0.5)
    in double, the same IEEE operations on DuckDB and Spark).
    Without a control group (or with an empty one) every comparison column is
    null and has_control_group is false; cost is still reported.
-#}
{% macro crm_campaign_effects(grouped, keys) %}
    {{- return(adapter.dispatch('crm_campaign_effects', 'crm_warehouse')(grouped, keys)) -}}
{% endmacro %}


{% macro default__crm_campaign_effects(grouped, keys) %}
    {%- set key_list = [keys] if keys is string else keys | list -%}
    select
        rated.*,
        case
            when rated.has_control_group
                then cast(rated.incremental_revenue as double) / nullif(cast(rated.cost as double), 0)
        end as input_output_ratio,
        case
            when rated.has_control_group and rated.cost > 0
                then (cast(rated.incremental_revenue as double) - cast(rated.cost as double))
                / cast(rated.cost as double)
        end as roi,
        case
            when rated.has_control_group and rated.cost > 0 and rated.incremental_revenue is not null
                then {{ dbt.concat([
                    "'1 : '",
                    dbt.cast(
                        'cast(round(cast(rated.incremental_revenue as double) / cast(rated.cost as double), 2)'
                        ~ ' as decimal(18, 2))',
                        dbt.type_string()
                    ),
                ]) }}
        end as input_output_ratio_label
    from (
        select
            tested.*,
            tested.lift / nullif(tested.control_response_rate, 0) as relative_lift,
            {{ crm_two_sided_p_value('tested.z_statistic') }} as p_value,
            tested.lift - {{ crm_z_critical_95() }} * tested.lift_standard_error as lift_ci_lower,
            tested.lift + {{ crm_z_critical_95() }} * tested.lift_standard_error as lift_ci_upper,
            {{ crm_two_sided_p_value('tested.z_statistic') }} < 0.05e0 as is_significant,
            tested.lift * tested.contacted as incremental_responders,
            {#- Rounded half away from zero to the cent in double arithmetic (the same IEEE operations
                on every engine), then made money exactly: a plain cast of the double rounds
                its binary value on DuckDB (38.355 -> 38.35) but its shortest decimal form
                on Spark (-> 38.36). -#}
            cast(
                cast(
                    sign(tested.lift) * floor(
                        abs(tested.lift) * tested.contacted
                        * coalesce(tested.exact_aov, tested.control_exact_aov, 0.0e0) * 100 + 0.5
                    ) as decimal(18, 0)
                ) * 0.01
                as decimal(18, 2)
            ) as incremental_revenue
        from (
            select
                paired.*,
                case
                    when paired.has_control_group and paired.group_name = 'treatment'
                        then paired.response_rate - paired.control_response_rate
                end as lift,
                case
                    when paired.has_control_group and paired.group_name = 'treatment'
                        then {{ crm_two_proportion_z(
                            'paired.responders', 'paired.contacted',
                            'paired.control_responders', 'paired.control_contacted'
                        ) }}
                end as z_statistic,
                case
                    when paired.has_control_group and paired.group_name = 'treatment'
                        then {{ crm_rate_difference_se(
                            'paired.responders', 'paired.contacted',
                            'paired.control_responders', 'paired.control_contacted'
                        ) }}
                end as lift_standard_error
            from (
                select
                    groups.*,
                    cast(groups.responders as double) / nullif(groups.contacted, 0) as response_rate,
                    {{ crm_customer_money_div(crm_customer_cents('groups.revenue'), 'groups.orders_count') }} as aov,
                    cast(groups.revenue as double) / nullif(groups.orders_count, 0) as exact_aov,
                    coalesce(control_group.contacted, 0) > 0 as has_control_group,
                    case when groups.group_name = 'treatment' then control_group.contacted end as control_contacted,
                    case when groups.group_name = 'treatment' then control_group.responders end as control_responders,
                    case
                        when groups.group_name = 'treatment'
                            then cast(control_group.responders as double) / nullif(control_group.contacted, 0)
                    end as control_response_rate,
                    case
                        when groups.group_name = 'treatment'
                            then cast(control_group.revenue as double) / nullif(control_group.orders_count, 0)
                    end as control_exact_aov,
                    case
                        when groups.group_name = 'treatment'
                            then cast(
                                groups.contacted * groups.cost_per_contact
                                + groups.responders * groups.incentive_cost_per_response
                                as decimal(18, 2)
                            )
                    end as cost
                from {{ grouped }} as groups
                left join {{ grouped }} as control_group
                    on
                        control_group.group_name = 'control'
                        {%- for key in key_list %}
                        and groups.{{ key }} = control_group.{{ key }}
                        {%- endfor %}
            ) as paired
        ) as tested
    ) as rated
{%- endmacro %}


{% macro crm_campaign_group_measures() %}
    {#-
        The per-group measures crm_campaign_effects reads, aggregated from contacts
        measured by int_campaign_contacts_measured (one row per contact): costs,
        contacted, attended_count, responders, orders_count, revenue and
        incomplete_contacts. Used in the select list of a `group by <keys>, group_name`.
    -#}
    max(cost_per_contact) as cost_per_contact,
    max(incentive_cost_per_response) as incentive_cost_per_response,
    cast(count(*) as {{ dbt.type_bigint() }}) as contacted,
    cast(sum(case when attended then 1 else 0 end) as {{ dbt.type_bigint() }}) as attended_count,
    cast(sum(case when is_responder then 1 else 0 end) as {{ dbt.type_bigint() }}) as responders,
    cast(sum(response_orders) as {{ dbt.type_bigint() }}) as orders_count,
    cast(sum(response_revenue) as decimal(18, 2)) as revenue,
    cast(sum(case when is_window_complete then 0 else 1 end) as {{ dbt.type_bigint() }})
        as incomplete_contacts
{%- endmacro %}


{% macro crm_campaign_result_columns(compared='compared', channel='campaigns.channel') %}
    {#-
        The public result columns of a crm_campaign_effects select named `compared`,
        from contacted to input_output_ratio_label, in the order both campaign marts
        publish them. attended is reported for event campaigns only (`channel`).
    -#}
    {{ compared }}.contacted,
    case when {{ channel }} = 'event' then {{ compared }}.attended_count end as attended,
    {%- for column in [
        'responders', 'response_rate', 'orders_count', 'revenue', 'aov', 'incomplete_contacts'
    ] %}
    {{ compared }}.{{ column }},
    {%- endfor %}
    {{ compared }}.incomplete_contacts = 0 as is_window_complete,
    {%- for column in [
        'has_control_group', 'control_contacted', 'control_responders', 'control_response_rate',
        'lift', 'relative_lift', 'z_statistic', 'p_value', 'lift_ci_lower', 'lift_ci_upper',
        'is_significant', 'incremental_responders', 'incremental_revenue', 'cost', 'roi',
        'input_output_ratio', 'input_output_ratio_label'
    ] %}
    {{ compared }}.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
