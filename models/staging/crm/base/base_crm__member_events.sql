{#- Build order only: dbt starts the models of one DAG level in name order, and
    the member inputs are read late in the DAG, so their validation waits for
    base_crm__orders, where the longest chain of the build starts (about 5 s off
    a 10M-order build; docs/decisions.md, "Performance at scale"). -#}
-- depends_on: {{ ref('base_crm__orders') }}
{{ config(post_hook="{{ crm_check_rejected_share('member_events') }}") }}

{{ crm_validate_input('member_events') }}
