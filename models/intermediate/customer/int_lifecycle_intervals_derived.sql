{#- Lifecycle stage intervals (docs/definitions.md#lifecycle), computed from occasions, not
    from a customer x day spine. After each purchase occasion the customer walks
    through the stages as days since that purchase cross the boundaries of var
    lifecycle_boundaries, until the next occasion (the day before it) or as_of_date.
    Each (occasion, stage) reached gives a piece; consecutive pieces with the same
    stage and customer_type (a purchase during after_sale) are merged. Members
    with a known joined_at are prospects from the day they joined until the day
    before their first purchase. valid_from and valid_to are both inclusive;
    valid_to is null for the interval a customer is in on as_of_date. Point in
    time: the stage on day d uses only purchases up to d. A table: the history mart
    and the campaign segmentation (read by two campaign marts) all read it, and a
    filter on its output is not pushed below the windows. -#}
{{ config(materialized='table') }}

{{ crm_lifecycle_intervals(
    occasions=ref('int_purchase_occasions_grouped'),
    members=ref('int_members_unioned'),
    customers=ref('int_customers_aggregated'),
    build_context=ref('int_build_context')
) }}
