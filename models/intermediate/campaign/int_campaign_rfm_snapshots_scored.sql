{#- RFM as of each campaign's snapshot date, for every customer then
    (docs/definitions.md#customer-state rules: scores are quantiles among the customers
    of the snapshot, segments from seed rfm_segment_rules). The snapshot is the day
    before the campaign started (or before its first contact, if earlier): the segment
    the audience was in when the campaign was planned, point-in-time. Each customer's
    state at a date is read from the one occasion that rules then (its last purchase on
    or before the date) with running totals, so no customer x day spine is built; var
    rfm_window_days applies as in customer_rfm. A table: two marts read it (through
    int_campaign_contacts_segmented and campaign_break_even), and as a view each
    computed every snapshot in full. -#}
{{ config(materialized='table') }}

{%- set window_days = var('rfm_window_days', none) -%}
{%- set use_window = window_days is not none and (window_days | string | trim) not in ('', 'none', 'null') -%}

with

contacts as (
    select * from {{ ref('int_campaign_contacts_measured') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

occasions as (
    select * from {{ ref('int_purchase_occasions_grouped') }}
),

segment_rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

campaign_contact_dates as (
    select
        campaign_id,
        min(contact_date) as first_contact_date
    from contacts
    group by campaign_id
),

snapshots as (
    select
        campaign_contact_dates.campaign_id,
        {{ crm_customer_add_days(
            -1,
            'least(campaign_contact_dates.first_contact_date, '
            ~ 'coalesce(campaigns.start_date, campaign_contact_dates.first_contact_date))'
        ) }} as snapshot_date
    from campaign_contact_dates
    left join campaigns
        on campaign_contact_dates.campaign_id = campaigns.campaign_id
),

occasions_cumulated as (
    select
        customer_id,
        purchase_date,
        next_purchase_date,
        occasion_number,
        sum(net_amount) over (
            partition by customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as cumulative_monetary
    from occasions
),

states as (
    {#- The occasion ruling on the snapshot date: last purchase on or before it. -#}
    select
        snapshots.campaign_id,
        snapshots.snapshot_date,
        occasions_cumulated.customer_id,
        occasions_cumulated.purchase_date as last_purchase_date,
        occasions_cumulated.occasion_number,
        occasions_cumulated.cumulative_monetary
    from snapshots
    inner join occasions_cumulated
        on
            snapshots.snapshot_date >= occasions_cumulated.purchase_date
            and (
                occasions_cumulated.next_purchase_date is null
                or snapshots.snapshot_date < occasions_cumulated.next_purchase_date
            )
),

{% if use_window -%}
states_before_window as (
    {#- The occasion ruling on the day before the RFM window opens. -#}
    select
        snapshots.campaign_id,
        occasions_cumulated.customer_id,
        occasions_cumulated.occasion_number,
        occasions_cumulated.cumulative_monetary
    from snapshots
    inner join occasions_cumulated
        on
            {{ crm_customer_add_days(-(window_days | int), 'snapshots.snapshot_date') }}
            >= occasions_cumulated.purchase_date
            and (
                occasions_cumulated.next_purchase_date is null
                or {{ crm_customer_add_days(-(window_days | int), 'snapshots.snapshot_date') }}
                < occasions_cumulated.next_purchase_date
            )
),

{% endif -%}
measured as (
    select
        states.campaign_id,
        states.snapshot_date,
        states.customer_id,
        states.last_purchase_date,
        cast(
            {{ dbt.datediff('states.last_purchase_date', 'states.snapshot_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as recency_days,
        {%- if use_window %}
        cast(states.occasion_number - coalesce(states_before_window.occasion_number, 0) as {{ dbt.type_bigint() }})
            as frequency,
        cast(
            states.cumulative_monetary - coalesce(states_before_window.cumulative_monetary, 0) as decimal(18, 2)
        ) as monetary
        {%- else %}
        cast(states.occasion_number as {{ dbt.type_bigint() }}) as frequency,
        cast(states.cumulative_monetary as decimal(18, 2)) as monetary
        {%- endif %}
    from states
    {%- if use_window %}
    left join states_before_window
        on
            states.campaign_id = states_before_window.campaign_id
            and states.customer_id = states_before_window.customer_id
    {%- endif %}
),

scored as (
    select
        *,
        {{ crm_rfm_score('recency_days', 'recency', partition_by='campaign_id') }} as r_score,
        {{ crm_rfm_score('frequency', 'frequency', partition_by='campaign_id') }} as f_score,
        {{ crm_rfm_score('monetary', 'monetary', partition_by='campaign_id') }} as m_score
    from measured
),

cell_segments as (
    {{ crm_rfm_cell_segments('scored', 'segment_rules') | indent(4) }}
),

final as (
    select
        scored.campaign_id,
        scored.customer_id,
        scored.snapshot_date,
        scored.last_purchase_date,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ dbt.concat([
            dbt.cast('scored.r_score', dbt.type_string()),
            dbt.cast('scored.f_score', dbt.type_string()),
            dbt.cast('scored.m_score', dbt.type_string()),
        ]) }} as rfm_cell,
        cell_segments.rfm_segment
    from scored
    left join cell_segments
        on
            scored.r_score = cell_segments.r_score
            and scored.f_score = cell_segments.f_score
            and scored.m_score = cell_segments.m_score
)

select * from final
