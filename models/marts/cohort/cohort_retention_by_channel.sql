{#- The cohort retention matrix split by acquisition channel (the channel of each
    customer's first purchase): flash-sale-acquired customers return less often. -#}

{{ crm_cohort_retention_split('acquisition_channel') }}
