{#- VIP event before / after shift matrix (docs/definitions.md#vip-event-shift): per
    event campaign, how its invitees' purchase interval (shortened / same /
    lengthened / no_purchase) and spend band (up / same / down) moved between the
    var vip_shift_window_days days before the event and as many days after it
    (int_event_invitees_compared), attendees against the non-attendees of the same
    invitation list. Every cell of the 4 x 3 grid is a row (0 when empty); shares are
    of the campaign's attendees and non-attendees, so each column of shares adds up
    to 1 per campaign. -#}
{{ config(materialized='table') }}

with

invitees as (
    select * from {{ ref('int_event_invitees_compared') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

interval_shifts as (
    {%- for value in ['shortened', 'same', 'lengthened', 'no_purchase'] %}
    select
        '{{ value }}' as interval_shift,
        {{ loop.index }} as interval_shift_order
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

spend_shifts as (
    {%- for value in ['up', 'same', 'down'] %}
    select
        '{{ value }}' as spend_band_shift,
        {{ loop.index }} as spend_band_shift_order
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

event_campaigns as (
    select
        campaign_id,
        min(event_start_date) as event_start_date,
        min(event_end_date) as event_end_date,
        sum(case when is_attendee then 1 else 0 end) as campaign_attendees,
        sum(case when is_attendee then 0 else 1 end) as campaign_non_attendees,
        min(case when is_after_window_complete then 1 else 0 end) = 1 as is_after_window_complete
    from invitees
    group by campaign_id
),

cells as (
    select
        campaign_id,
        interval_shift,
        spend_band_shift,
        sum(case when is_attendee then 1 else 0 end) as attendees,
        sum(case when is_attendee then 0 else 1 end) as non_attendees
    from invitees
    group by campaign_id, interval_shift, spend_band_shift
),

grid as (
    select
        event_campaigns.*,
        interval_shifts.interval_shift,
        interval_shifts.interval_shift_order,
        spend_shifts.spend_band_shift,
        spend_shifts.spend_band_shift_order
    from event_campaigns
    cross join interval_shifts
    cross join spend_shifts
),

final as (
    select
        grid.campaign_id,
        grid.interval_shift,
        grid.spend_band_shift,
        campaigns.campaign_name,
        grid.event_start_date,
        grid.event_end_date,
        cast({{ var('vip_shift_window_days') | int }} as {{ dbt.type_int() }}) as window_days,
        cast(grid.interval_shift_order as {{ dbt.type_int() }}) as interval_shift_order,
        cast(grid.spend_band_shift_order as {{ dbt.type_int() }}) as spend_band_shift_order,
        cast(coalesce(cells.attendees, 0) as {{ dbt.type_bigint() }}) as attendees,
        cast(coalesce(cells.non_attendees, 0) as {{ dbt.type_bigint() }}) as non_attendees,
        cast(grid.campaign_attendees as {{ dbt.type_bigint() }}) as campaign_attendees,
        cast(grid.campaign_non_attendees as {{ dbt.type_bigint() }}) as campaign_non_attendees,
        cast(coalesce(cells.attendees, 0) as double) / nullif(grid.campaign_attendees, 0) as attendee_share,
        cast(coalesce(cells.non_attendees, 0) as double) / nullif(grid.campaign_non_attendees, 0)
            as non_attendee_share,
        cast(coalesce(cells.attendees, 0) as double) / nullif(grid.campaign_attendees, 0)
        - cast(coalesce(cells.non_attendees, 0) as double) / nullif(grid.campaign_non_attendees, 0)
            as share_difference,
        grid.is_after_window_complete
    from grid
    left join cells
        on
            grid.campaign_id = cells.campaign_id
            and grid.interval_shift = cells.interval_shift
            and grid.spend_band_shift = cells.spend_band_shift
    left join campaigns
        on grid.campaign_id = campaigns.campaign_id
)

select * from final
