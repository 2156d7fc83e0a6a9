{#- The cohort retention matrix split by first store (the store of each
    customer's first purchase). -#}

{{ crm_cohort_retention_split('first_store_id') }}
