{#- Every row of a project in seed crm_programs carries the same project columns
    (program_name, objective, kpi_kind, baseline_weeks): crm_program_weekly reports
    one value per project. -#}
select program_id
from {{ ref('crm_programs') }}
group by program_id
having
    count(distinct program_name) > 1
    or count(distinct objective) > 1
    or count(distinct kpi_kind) > 1
    or count(distinct baseline_weeks) > 1
