{% macro crm_holdout_group(key_sql, seed, control_share) %}
    {#- SQL: 'control' or 'treatment' for the member in key_sql, reproducibly: control when
        the first 4 hex digits of md5(key || '|' || seed) fall below control_share x 16^4.
        The same seed always gives the same groups, and a member's group does not depend
        on who else is selected. -#}
    {%- set threshold = '%04x' | format((control_share | float * 65536) | int) -%}
    {%- set seed_literal = "'" ~ (seed | string | replace("'", "''")) ~ "'" -%}
    case
        when substr({{ dbt.hash(dbt.concat([key_sql, "'|'", seed_literal])) }}, 1, 4) < '{{ threshold }}'
            then 'control'
        else 'treatment'
    end
{%- endmacro %}
