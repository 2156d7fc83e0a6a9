{#- customer_clv keeps the rows of exactly one purchase model: int_clv_model_choice
    must mark exactly one model as chosen (when any model was fitted). -#}
{{ config(enabled=crm_clv_is_supported()) }}

select
    count(*) as models,
    sum(case when is_chosen then 1 else 0 end) as chosen_models
from {{ ref('int_clv_model_choice') }}
having count(*) > 0 and sum(case when is_chosen then 1 else 0 end) <> 1
