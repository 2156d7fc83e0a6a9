{#-
    crm_hash_pii(column): a salted, one-way hash of a PII value (email, phone,
    member_id when a mart needs a join key that must not reveal the member).

    The salt comes from the environment variable CRM_HASH_SALT; the demo default
    'crm-demo-salt' is public, so production runs must set their own secret salt
    (docs/operations.md). A null value hashes to null. Portable: dbt.hash
    (md5 on DuckDB and Spark) over salt || '|' || trimmed lower-cased value.
-#}
{% macro crm_hash_pii(column) %}
    {%- set salt = env_var('CRM_HASH_SALT', 'crm-demo-salt') | replace("'", "''") -%}
    case
        when {{ column }} is not null
            then {{ dbt.hash(dbt.concat(["'" ~ salt ~ "|'", "lower(trim(" ~ dbt.cast(column, dbt.type_string()) ~ "))"])) }}
    end
{%- endmacro %}
