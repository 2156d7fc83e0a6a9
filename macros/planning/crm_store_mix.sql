{% macro crm_store_mix_clusters_are_supported() %}
    {#-
        True when the target runs the counter clustering (int_store_mix_clusters, a dbt
        Python model written for dbt-duckdb; dbt-spark runs Python models only on
        managed platforms). Keep in step with its `enabled` config in
        models/intermediate/planning/_store_mix__models.yml.
    -#}
    {{ return(target.type == 'duckdb') }}
{% endmacro %}
