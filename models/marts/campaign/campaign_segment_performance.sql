{#- campaign_performance per segment at contact time: one row per campaign x
    segment_type x segment_value x group_name. Segments are point-in-time, as of the
    day before each contact (int_campaign_contacts_segmented): lifecycle_stage,
    customer_type, lifecycle_segment, rfm_segment and rfm_cell (the campaign's RFM
    snapshot), age_band and member_tier. The treatment row of a segment is compared
    with the control members of the same segment (crm_campaign_effects); a segment
    without control members has has_control_group false and no lift or ROI. -#}
{%- set segment_types = {
    'lifecycle_stage': 'lifecycle_stage',
    'customer_type': 'customer_type',
    'lifecycle_segment': crm_lifecycle_segment('customer_type', 'lifecycle_stage'),
    'rfm_segment': 'rfm_segment',
    'rfm_cell': 'rfm_cell',
    'age_band': 'age_band',
    'member_tier': 'member_tier',
} -%}

with

build_context as (
    select * from {{ ref('int_build_context') }}
),

contacts as (
    select * from {{ ref('int_campaign_contacts_segmented') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

contact_segments as (
    {%- for segment_type, segment_sql in segment_types.items() %}
    select
        campaign_id,
        '{{ segment_type }}' as segment_type,
        {{ segment_sql }} as segment_value,
        group_name,
        attended,
        is_window_complete,
        cost_per_contact,
        incentive_cost_per_response,
        is_responder,
        response_orders,
        response_revenue
    from contacts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

grouped as (
    select
        campaign_id,
        segment_type,
        segment_value,
        group_name,
        {{ crm_campaign_group_measures() | indent(8) }}
    from contact_segments
    group by campaign_id, segment_type, segment_value, group_name
),

compared as (
    {{ crm_campaign_effects('grouped', ['campaign_id', 'segment_type', 'segment_value']) | indent(4) }}
),

final as (
    select
        compared.campaign_id,
        compared.segment_type,
        compared.segment_value,
        compared.group_name,
        campaigns.campaign_name,
        campaigns.objective,
        campaigns.channel,
        {{ crm_campaign_result_columns() | indent(8) }},
        {{ crm_as_of_date() }} as as_of_date
    from compared
    left join campaigns
        on compared.campaign_id = campaigns.campaign_id
)

select * from final
