{#-
    A select comparing the rows of relation `actual` with those of `expected` (the
    dbt-utils way of testing a macro on a seed of hand-computed cases): a full outer
    join on `keys` (nulls match nulls), one row per key with each column's actual and
    expected value and is_match, false when a row is missing on either side or any
    column differs (float_columns within `tolerance`; nulls equal only to nulls).
-#}
{% macro crm_metric_test_compare(actual, expected, keys, columns, float_columns=[], tolerance=1e-9) %}
    {{- return(adapter.dispatch('crm_metric_test_compare', 'crm_warehouse')(
        actual, expected, keys, columns, float_columns, tolerance
    )) -}}
{% endmacro %}


{% macro default__crm_metric_test_compare(actual, expected, keys, columns, float_columns, tolerance) %}
    select
        {% for key in keys -%}
        coalesce(compare_actual.{{ key }}, compare_expected.{{ key }}) as {{ key }},
        {% endfor -%}
        {% for column in columns + float_columns -%}
        compare_actual.{{ column }} as actual_{{ column }},
        compare_expected.{{ column }} as expected_{{ column }},
        {% endfor -%}
        coalesce((
            compare_actual.is_row_present is not null
            and compare_expected.is_row_present is not null
            {%- for column in columns %}
            and (
                compare_actual.{{ column }} = compare_expected.{{ column }}
                or (compare_actual.{{ column }} is null and compare_expected.{{ column }} is null)
            )
            {%- endfor %}
            {%- for column in float_columns %}
            and (
                abs(compare_actual.{{ column }} - compare_expected.{{ column }}) <= {{ tolerance }}
                or (compare_actual.{{ column }} is null and compare_expected.{{ column }} is null)
            )
            {%- endfor %}
        ), false) as is_match
    from (select *, true as is_row_present from {{ actual }}) as compare_actual
    full outer join (select *, true as is_row_present from {{ expected }}) as compare_expected
        on
            {% for key in keys -%}
            (
                compare_actual.{{ key }} = compare_expected.{{ key }}
                or (compare_actual.{{ key }} is null and compare_expected.{{ key }} is null)
            )
            {%- if not loop.last %} and{% endif %}
            {% endfor %}
{%- endmacro %}
