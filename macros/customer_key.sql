{#-
    What the marts carry as customer_id (docs/definitions.md#raw-inputs, var customer_key):
      member_id  the member_id as it is in the inputs
      hash       a salted hash of it: md5(salt || '|' || member_id), the salt from
                 the environment variable CRM_CUSTOMER_KEY_SALT. The hash is taken
                 as the inputs are read (crm_raw_input), so no table of the
                 warehouse file holds the member_id: base and staging tables,
                 rejected rows and marts all carry the hash. The map back to
                 member_id is written outside the warehouse file, to a Parquet file
                 readable by its owner only (models/staging/crm/customer_key_map.py).
      unset      member_id, but the build stops when member_ids look like phone
                 numbers or e-mail addresses (crm_check_member_ids).
    Columns holding member ids are marked member_key in the raw contract; columns
    holding PII (email, phone) are marked pii and masked in rejected rows.
-#}

{% macro crm_customer_key_mode() %}
    {#- 'member_id', 'hash' or none (not set); checks the var and, for hash, the salt. -#}
    {% set value = var('customer_key', none) %}
    {% if value is none or (value | string | trim) == '' %}
        {{ return(none) }}
    {% endif %}
    {% set value = value | string | trim | lower %}
    {% if value not in ['member_id', 'hash'] %}
        {{ exceptions.raise_compiler_error(
            "var customer_key = '" ~ var('customer_key') ~ "' must be member_id or hash."
        ) }}
    {% endif %}
    {% if value == 'hash' %}
        {% do crm_customer_key_salt() %}
        {% if target.type != 'duckdb' %}
            {{ exceptions.raise_compiler_error(
                "var customer_key = hash is built on DuckDB only (the map back to member_id is written by a "
                ~ "DuckDB Python model): build on DuckDB, or use customer_key: member_id."
            ) }}
        {% endif %}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{% macro crm_customer_key_salt() %}
    {% set salt = env_var('CRM_CUSTOMER_KEY_SALT', '') | trim %}
    {% if salt | length < 16 %}
        {{ exceptions.raise_compiler_error(
            "var customer_key = hash needs a secret salt of at least 16 characters in the environment variable "
            ~ "CRM_CUSTOMER_KEY_SALT (e.g. export CRM_CUSTOMER_KEY_SALT=$(openssl rand -hex 16)); "
            ~ ("it is not set." if salt == '' else "it has " ~ (salt | length) ~ " characters.")
        ) }}
    {% endif %}
    {{ return(salt) }}
{% endmacro %}


{% macro crm_customer_key(value) %}
    {#- SQL: the customer key of a member id expression (text), per var customer_key. -#}
    {%- if crm_customer_key_mode() == 'hash' -%}
        case
            when {{ value }} is not null
                then {{ dbt.hash(dbt.concat([crm_sql_string(crm_customer_key_salt() ~ '|'), value])) }}
        end
    {%- else -%}
        {{ value }}
    {%- endif -%}
{% endmacro %}


{% macro crm_mask_pii(value) %}
    {#- SQL: a PII value (text) masked for rejected rows: its first character, '***' and
        its last two characters ('zoey@example.com' -> 'z***om'); '***' when shorter than 6. -#}
    case
        when {{ value }} is null then null
        when length({{ value }}) < 6 then '***'
        else {{ dbt.concat(['substring(' ~ value ~ ', 1, 1)', "'***'",
                            'substring(' ~ value ~ ', length(' ~ value ~ ') - 1, 2)']) }}
    end
{%- endmacro %}


{% macro crm_pii_id_patterns() %}
    {#- Regular expressions (RE2 / Java) of ids that are e-mail addresses or phone numbers:
        an e-mail; an international number (+ and 7 or more digits or separators); a
        national number with a trunk 0 (0, a non-zero digit, 8-9 more digits); a Chinese
        mobile (11 digits from 13 to 19); a North American number written with separators.
        Integer keys (sequences, zero-padded card numbers) match none of them. -#}
    {{ return([
        '^[^@ ]+@[^@ ]+[.][A-Za-z]{2,}$',
        '^[+][0-9][0-9 ().-]{6,}[0-9]$',
        '^0[1-9][0-9]{8,9}$',
        '^1[3-9][0-9]{9}$',
        '^[(]?[0-9]{3}[)]?[ .-]?[0-9]{3}[ .-][0-9]{4}$',
    ]) }}
{% endmacro %}


{% macro crm_looks_like_pii(value) %}
    {{ return(adapter.dispatch('crm_looks_like_pii', 'crm_warehouse')(value)) }}
{% endmacro %}

{% macro default__crm_looks_like_pii(value) %}
    {%- for pattern in crm_pii_id_patterns() -%}
    {{ ' or ' if not loop.first }}regexp_matches({{ value }}, '{{ pattern }}')
    {%- endfor -%}
{% endmacro %}

{% macro spark__crm_looks_like_pii(value) %}
    {%- for pattern in crm_pii_id_patterns() -%}
    {{ ' or ' if not loop.first }}{{ value }} rlike '{{ pattern }}'
    {%- endfor -%}
{% endmacro %}


{% macro crm_check_member_ids(input_name) %}
    {#-
        Post-hook of each base model: when var customer_key is not set and member ids
        of the input look like phone numbers or e-mail addresses, stop the build and
        say so (the marts would carry them as customer_id). Any such id stops it.
    -#}
    {% set key_columns = crm_raw_input_spec(input_name).columns | selectattr('member_key') | map(attribute='name') | list %}
    {% if not execute or key_columns | length == 0 or crm_customer_key_mode() is not none %}
        {{ return('select 1') }}
    {% endif %}
    {% for column in key_columns %}
        {% set result = run_query(
            'select count(*), sum(case when ' ~ crm_looks_like_pii('member_key') ~ ' then 1 else 0 end), '
            ~ 'min(case when ' ~ crm_looks_like_pii('member_key') ~ ' then ' ~ crm_mask_pii('member_key') ~ ' end) '
            ~ 'from (select distinct ' ~ column ~ ' as member_key from ' ~ this ~ ' where ' ~ column ~ ' is not null) as ids'
        ) %}
        {% set ids, pii_like, example = result.rows[0][0], result.rows[0][1] or 0, result.rows[0][2] %}
        {% if pii_like > 0 %}
            {{ exceptions.raise_compiler_error(
                "raw_" ~ input_name ~ ": " ~ pii_like ~ " of " ~ ids ~ " distinct " ~ column
                ~ " values look like phone numbers or e-mail addresses (e.g. " ~ example ~ "), and the marts "
                ~ "would carry them as customer_id. Set var customer_key: hash (marts carry a salted hash; export "
                ~ "CRM_CUSTOMER_KEY_SALT) or customer_key: member_id to keep them as they are (docs/operations.md, PII)."
            ) }}
        {% endif %}
    {% endfor %}
    {{ return('select 1') }}
{% endmacro %}
