{#- Break-even by RFM cell (docs/definitions.md#break-even-by-rfm-cell): per campaign
    and RFM cell of its treatment contacts (the cell of the campaign's RFM snapshot,
    the day before it started: int_campaign_rfm_snapshots_scored; members without a
    purchase by then are 'prospect'), contacts, responders (is_responder of
    int_campaign_contacts_measured), response rate, cost per contact and margin per
    response (int_campaign_margins_resolved), the break-even response rate = cost per
    contact / margin per response, and the break-even index = (response rate -
    break-even rate) / break-even rate x 100; is_below_break_even marks a negative
    index. A free contact (break-even rate 0) has a null index and is never below
    break even; a margin of 0 leaves the break-even rate null. -#}
{{ config(materialized='table') }}

with

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

rfm_snapshots as (
    select * from {{ ref('int_campaign_rfm_snapshots_scored') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

margins as (
    select * from {{ ref('int_campaign_margins_resolved') }}
),

treatment_cells as (
    select
        contacts.campaign_id,
        contacts.is_responder,
        contacts.is_window_complete,
        coalesce(rfm_snapshots.rfm_cell, 'prospect') as rfm_cell,
        coalesce(rfm_snapshots.rfm_segment, 'prospect') as rfm_segment
    from contacts
    left join rfm_snapshots
        on
            contacts.campaign_id = rfm_snapshots.campaign_id
            and contacts.member_id = rfm_snapshots.customer_id
    where contacts.group_name = 'treatment'
),

grouped as (
    select
        campaign_id,
        rfm_cell,
        max(rfm_segment) as rfm_segment,
        count(*) as contacts,
        sum(case when is_responder then 1 else 0 end) as responders,
        min(case when is_window_complete then 1 else 0 end) = 1 as is_window_complete
    from treatment_cells
    group by campaign_id, rfm_cell
),

rated as (
    select
        grouped.campaign_id,
        grouped.rfm_cell,
        grouped.rfm_segment,
        campaigns.campaign_name,
        campaigns.channel,
        cast(grouped.contacts as {{ dbt.type_bigint() }}) as contacts,
        cast(grouped.responders as {{ dbt.type_bigint() }}) as responders,
        cast(grouped.responders as double) / grouped.contacts as response_rate,
        cast(coalesce(campaigns.cost_per_contact, 0) as decimal(18, 2)) as cost_per_contact,
        margins.margin_per_response,
        margins.margin_source,
        cast(coalesce(campaigns.cost_per_contact, 0) as double)
        / nullif(cast(margins.margin_per_response as double), 0) as break_even_response_rate,
        grouped.is_window_complete
    from grouped
    left join campaigns
        on grouped.campaign_id = campaigns.campaign_id
    left join margins
        on grouped.campaign_id = margins.campaign_id
),

indexed as (
    select
        *,
        (response_rate - break_even_response_rate) / nullif(break_even_response_rate, 0) * 100
            as break_even_index
    from rated
),

final as (
    select
        *,
        coalesce(break_even_index < 0, false) as is_below_break_even
    from indexed
)

select * from final
