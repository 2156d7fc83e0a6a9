{#-
    The shared preamble of the metric macros, in one place: checks and normalises the
    arguments every macro takes. Returns a mapping:
      parts:  partition_by as a list of column names ([] for none);
      part_keys: those columns as a select / group-by prefix ('store_id, ' or '');
      as_of:  the SQL date of as_of_date (default crm_as_of_date(): the calling model
              imports int_build_context as a CTE named build_context).
-#}
{% macro crm_metric_setup(partition_by=[], as_of_date=none) %}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) | list -%}
    {%- set keys = namespace(text='') -%}
    {%- for column in parts -%}
        {%- set keys.text = keys.text ~ column ~ ', ' -%}
    {%- endfor -%}
    {{- return({
        'parts': parts,
        'part_keys': keys.text,
        'as_of': as_of_date if as_of_date is not none else crm_as_of_date(),
    }) -}}
{% endmacro %}


{% macro crm_metric_int_list(value, what, minimum=none) %}
    {#- A metric macro's list argument (windows, periods) as whole numbers: one number or
        string, or a list; stops with a message naming `what` when it is empty or has a
        value below `minimum`. -#}
    {%- set values = ([value] if value is number or value is string else value) | map('int') | list -%}
    {%- if values | length == 0 or (minimum is not none and values | min < minimum) -%}
        {{ exceptions.raise_compiler_error(
            what ~ " must be a non-empty list of whole numbers"
            ~ (" >= " ~ minimum if minimum is not none else "") ~ ", got " ~ values
        ) }}
    {%- endif -%}
    {{- return(values) -}}
{% endmacro %}
