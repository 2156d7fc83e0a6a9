{#- Rows whose column holds a value outside the lifecycle stage list
    (crm_lifecycle_stage_values: the one list, macros/lifecycle.sql). Arguments:
    include_prospect (the column may hold 'prospect'), as_segment (the column holds
    lifecycle segments, new_<stage> / returning_<stage>). Nulls pass (not_null tests them). -#}
{% test accepted_lifecycle_stages(model, column_name, include_prospect=false, as_segment=false) %}

select {{ column_name }} as unexpected_value
from {{ model }}
where
    {{ column_name }} is not null
    and {{ column_name }} not in (
        {%- for value in crm_lifecycle_stage_values(include_prospect, as_segment) %}
        '{{ value }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    )

{% endtest %}
