"""The CRM report: one self-contained HTML page of charts from the marts (issue 11).

Reads a warehouse read-only and writes a single HTML file with plotly.js embedded
inline, so it opens offline in any browser and can be mailed or archived as is:

    python scripts/report.py [--warehouse warehouse/crm.duckdb] [--out warehouse/report.html]

Charts (each in a <section class="chart" data-chart="..."> with a title and a
one-line explanation): cohort retention heatmap, lifecycle stage distribution over
time, RFM segment grid, weekly KPI trends with week-over-week changes, value-tier
Pareto curve, gap-analysis waterfall (LMDI effects), campaign lift with 95 %
confidence intervals and the store archetype map. A mart that is empty or missing
gives a visible "no data" note in its section instead of a chart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import plotly
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

PROJECT_DIR = Path(__file__).resolve().parents[1]
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
DEFAULT_HEIGHT = 460
STAGE_ORDER = ["after_sale", "active", "silent", "sleeping", "pre_churn", "lost"]
GROUP_ORDER = ["new", "retained_new", "retained_returning", "reactivated"]
EFFECTS = [("buyers_effect", "buyers"), ("frequency_effect", "frequency"), ("aov_effect", "AOV")]


class NoData(Exception):
    """A chart has nothing to show; the message says why."""


@dataclass(frozen=True)
class Chart:
    """One section of the report."""

    key: str
    title: str
    explanation: str
    build: Callable[[duckdb.DuckDBPyConnection], go.Figure]
    wide: bool = False  # spans both columns of the page


def query(connection: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """Run a query; a missing table is 'no data', not a crash."""
    try:
        return connection.execute(sql).df()
    except duckdb.CatalogException as error:
        raise NoData(f"a table is missing from the warehouse ({str(error).splitlines()[0]})") from error


def require_rows(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    if frame.empty:
        raise NoData(f"{what} has no rows")
    return frame


# ------------------------------------------------------------------ the charts


def cohort_retention_heatmap(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            select cohort_start, period_number, cohort_size, active_customers, retention_rate, is_complete
            from marts.cohort_retention
            where period_number > 0
            order by cohort_start, period_number
            """,
        ),
        "marts.cohort_retention (periods after the first)",
    )
    frame["cohort"] = pd.to_datetime(frame["cohort_start"]).dt.strftime("%Y-%m-%d")
    matrix = frame.pivot(index="cohort", columns="period_number", values="retention_rate")
    sizes = frame.groupby("cohort")["cohort_size"].first()
    labels = [f"{cohort} (n={sizes[cohort]:,})" for cohort in matrix.index]
    text = matrix.map(lambda value: "" if pd.isna(value) else f"{value:.0%}")
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=[str(column) for column in matrix.columns],
            y=labels,
            text=text.to_numpy(),
            texttemplate="%{text}",
            textfont={"size": 8},
            colorscale="Blues",
            zmin=0,
            colorbar={"title": "retained", "tickformat": ".0%"},
            hovertemplate="cohort %{y}<br>period %{x}<br>retention %{z:.1%}<extra></extra>",
        )
    )
    figure.update_layout(
        xaxis_title="periods since the cohort's first purchase",
        yaxis={"title": "cohort", "autorange": "reversed", "type": "category"},
        height=max(420, 18 * len(labels) + 160),
    )
    return figure


def lifecycle_stage_distribution(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            with

            bounds as (
                select min(valid_from) as first_day, max(as_of_date) as as_of_date
                from marts.customer_lifecycle_history
                where lifecycle_stage != 'prospect'
            ),

            month_ends as (
                select least(cast(month_start + interval 1 month - interval 1 day as date), bounds.as_of_date)
                    as snapshot_date
                from bounds,
                    range(date_trunc('month', bounds.first_day), bounds.as_of_date + interval 1 day, interval 1 month)
                    as months (month_start)
            )

            select month_ends.snapshot_date, history.lifecycle_stage, count(*) as customers
            from month_ends
            inner join marts.customer_lifecycle_history as history
                on month_ends.snapshot_date >= history.valid_from
                and (history.valid_to is null or month_ends.snapshot_date <= history.valid_to)
            where history.lifecycle_stage != 'prospect'
            group by month_ends.snapshot_date, history.lifecycle_stage
            order by month_ends.snapshot_date
            """,
        ),
        "marts.customer_lifecycle_history",
    )
    table = frame.pivot(index="snapshot_date", columns="lifecycle_stage", values="customers").fillna(0)
    stages = [stage for stage in STAGE_ORDER if stage in table.columns]
    stages += [stage for stage in table.columns if stage not in stages]
    figure = go.Figure()
    for stage in stages:
        figure.add_trace(
            go.Scatter(
                x=table.index,
                y=table[stage],
                name=stage,
                mode="lines",
                stackgroup="stages",
                groupnorm="percent",
                hovertemplate=f"{stage}: %{{y:.1f}}% of customers<extra>%{{x|%Y-%m-%d}}</extra>",
            )
        )
    figure.update_layout(
        xaxis_title="month end (the last month ends on as_of_date)",
        yaxis={"title": "share of customers", "ticksuffix": "%", "range": [0, 100]},
        legend={"traceorder": "normal"},
    )
    return figure


def rfm_segment_grid(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            with

            cells as (
                select r_score, f_score, rfm_segment, count(*) as customers
                from marts.customer_rfm
                group by r_score, f_score, rfm_segment
            ),

            ranked as (
                select
                    *,
                    sum(customers) over (partition by r_score, f_score) as cell_customers,
                    row_number() over (
                        partition by r_score, f_score order by customers desc, rfm_segment
                    ) as segment_rank
                from cells
            )

            select r_score, f_score, rfm_segment, cell_customers, customers as segment_customers
            from ranked
            where segment_rank = 1
            order by r_score, f_score
            """,
        ),
        "marts.customer_rfm",
    )
    bins = int(max(frame["r_score"].max(), frame["f_score"].max()))
    scores = list(range(1, bins + 1))
    customers = frame.pivot(index="f_score", columns="r_score", values="cell_customers").reindex(
        index=scores, columns=scores
    )
    segments = frame.pivot(index="f_score", columns="r_score", values="rfm_segment").reindex(
        index=scores, columns=scores
    )
    text = [
        [
            "" if pd.isna(customers.at[f, r]) else f"{segments.at[f, r]}<br>{int(customers.at[f, r]):,}"
            for r in scores
        ]
        for f in scores
    ]
    figure = go.Figure(
        go.Heatmap(
            z=customers.to_numpy(),
            x=[f"R{score}" for score in scores],
            y=[f"F{score}" for score in scores],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10},
            colorscale="YlGnBu",
            colorbar={"title": "customers"},
            hovertemplate="%{x} %{y}<br>%{text}<extra></extra>",
        )
    )
    figure.update_layout(
        xaxis_title="recency score (5 = bought most recently)",
        yaxis_title="frequency score (5 = most occasions)",
        height=520,
    )
    return figure


def weekly_kpi_trends(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            select week_start, buyers, revenue, aov, repurchase_rate_45d,
                aov_change, repurchase_rate_change, combined_change, is_complete
            from marts.kpi_weekly
            order by week_start
            """,
        ),
        "marts.kpi_weekly",
    )
    frame["revenue"] = frame["revenue"].astype(float)
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        row_heights=[0.55, 0.45],
        specs=[[{"secondary_y": True}], [{}]],
        subplot_titles=("revenue and buyers per week", "week-over-week change (this week / previous - 1)"),
    )
    colours = ["#4c78a8" if complete else "#c6d4e6" for complete in frame["is_complete"]]
    figure.add_trace(
        go.Bar(x=frame["week_start"], y=frame["revenue"], name="revenue", marker_color=colours,
               hovertemplate="week of %{x|%Y-%m-%d}<br>revenue %{y:,.0f}<extra></extra>"),
        row=1, col=1,
    )
    figure.add_trace(
        go.Scatter(x=frame["week_start"], y=frame["buyers"], name="buyers", mode="lines",
                   line={"color": "#f58518"}),
        row=1, col=1, secondary_y=True,
    )
    for column, label, colour in [
        ("aov_change", "AOV", "#54a24b"),
        ("repurchase_rate_change", "45-day repurchase rate", "#e45756"),
        ("combined_change", "combined", "#72b7b2"),
    ]:
        figure.add_trace(
            go.Scatter(x=frame["week_start"], y=frame[column] - 1, name=f"{label} WoW", mode="lines",
                       line={"color": colour, "width": 1.5},
                       hovertemplate=f"{label} %{{y:+.1%}}<extra>%{{x|%Y-%m-%d}}</extra>"),
            row=2, col=1,
        )
    figure.update_yaxes(title_text="revenue", row=1, col=1, secondary_y=False)
    figure.update_yaxes(title_text="buyers", row=1, col=1, secondary_y=True, showgrid=False)
    figure.update_yaxes(title_text="change", tickformat="+.0%", row=2, col=1)
    figure.update_xaxes(title_text="week (Monday)", row=2, col=1)
    figure.update_layout(height=620, hovermode="x unified")
    return figure


def value_tier_pareto(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            select
                row_number() over (order by monetary desc, customer_id) as customer_rank,
                count(*) over () as customers,
                sum(monetary) over (order by monetary desc, customer_id rows unbounded preceding)
                    / nullif(sum(monetary) over (), 0) as cumulative_revenue_share
            from marts.customer_rfm
            order by customer_rank
            """,
        ),
        "marts.customer_rfm",
    )
    frame["customer_share"] = frame["customer_rank"] / frame["customers"]
    frame["cumulative_revenue_share"] = frame["cumulative_revenue_share"].astype(float)
    step = max(1, len(frame) // 1500)  # a smooth curve without thousands of points
    curve = pd.concat([frame.iloc[::step], frame.iloc[[-1]]]).drop_duplicates("customer_rank")
    x = [0.0, *curve["customer_share"]]
    y = [0.0, *curve["cumulative_revenue_share"]]
    figure = go.Figure(
        go.Scatter(x=x, y=y, mode="lines", name="customers by spend, highest first", line={"width": 3},
                   hovertemplate="top %{x:.1%} of customers make %{y:.1%} of revenue<extra></extra>")
    )
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="equal spend",
                                line={"dash": "dot", "color": "grey"}, hoverinfo="skip"))
    tiers = query(
        connection,
        """
        select value_tier, cumulative_customer_share, cumulative_revenue_share,
            pareto_revenue_share, pareto_customer_share
        from marts.value_tier_summary
        where customers > 0
        order by tier_order
        """,
    )
    if not tiers.empty:
        figure.add_trace(
            go.Scatter(
                x=tiers["cumulative_customer_share"], y=tiers["cumulative_revenue_share"],
                mode="markers+text", name="value tier cut", text=tiers["value_tier"],
                textposition="bottom right", marker={"size": 10, "color": "#e45756"},
                hovertemplate="%{text} and above: %{x:.1%} of customers, %{y:.1%} of revenue<extra></extra>",
            )
        )
        pareto_x = tiers["pareto_customer_share"].iloc[0]
        pareto_y = tiers["pareto_revenue_share"].iloc[0]
        if pd.notna(pareto_x) and pd.notna(pareto_y):
            figure.add_shape(type="line", x0=0, x1=pareto_x, y0=pareto_y, y1=pareto_y,
                             line={"dash": "dash", "color": "#54a24b"})
            figure.add_shape(type="line", x0=pareto_x, x1=pareto_x, y0=0, y1=pareto_y,
                             line={"dash": "dash", "color": "#54a24b"})
            figure.add_annotation(x=pareto_x, y=pareto_y, showarrow=True, ax=60, ay=40,
                                  text=f"{pareto_x:.0%} of customers make {pareto_y:.0%} of revenue")
    figure.update_layout(
        xaxis={"title": "share of customers (by spend, highest first)", "tickformat": ".0%", "range": [0, 1]},
        yaxis={"title": "cumulative share of revenue", "tickformat": ".0%", "range": [0, 1.02]},
        height=480,
    )
    return figure


def gap_waterfall(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            select year, customer_group, revenue, previous_revenue, buyers_effect, frequency_effect,
                aov_effect, is_complete
            from marts.gap_analysis
            where store_id is null
                and has_previous_year
                and year = (select max(year) from marts.gap_analysis where store_id is null and has_previous_year)
            """,
        ),
        "marts.gap_analysis (a year with a previous year)",
    ).set_index("customer_group")
    if "all" not in frame.index:
        raise NoData("marts.gap_analysis has no whole-business 'all' row")
    year = int(frame["year"].iloc[0])
    total = frame.loc["all"]
    labels, measures, values = [f"sales {year - 1}"], ["absolute"], [float(total["previous_revenue"])]
    for group in [group for group in GROUP_ORDER if group in frame.index]:
        for column, effect in EFFECTS:
            value = frame.at[group, column]
            if pd.notna(value) and abs(value) >= 0.005:
                labels.append(f"{group}: {effect}")
                measures.append("relative")
                values.append(float(value))
    labels.append(f"sales {year}" + ("" if total["is_complete"] else " (to date)"))
    measures.append("total")
    values.append(float(total["revenue"]))
    figure = go.Figure(
        go.Waterfall(
            x=labels, y=values, measure=measures,
            text=[f"{value:+,.0f}" if measure == "relative" else f"{value:,.0f}"
                  for value, measure in zip(values, measures)],
            textposition="outside",
            connector={"line": {"color": "#999"}},
            increasing={"marker": {"color": "#54a24b"}},
            decreasing={"marker": {"color": "#e45756"}},
            totals={"marker": {"color": "#4c78a8"}},
            hovertemplate="%{x}<br>%{y:,.2f}<extra></extra>",
        )
    )
    figure.update_layout(
        yaxis_title="net sales",
        xaxis={"tickangle": -35},
        height=520,
        showlegend=False,
        title={"text": f"fiscal year {year} vs {year - 1}", "font": {"size": 13}},
    )
    return figure


def campaign_lift(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            select campaign_id, coalesce(campaign_name, campaign_id) as campaign_name, response_rate,
                control_response_rate, lift, lift_ci_lower, lift_ci_upper, p_value, is_significant,
                contacted, control_contacted
            from marts.campaign_performance
            where group_name = 'treatment' and has_control_group and lift is not null
            order by start_date desc, campaign_id desc
            """,
        ),
        "marts.campaign_performance (campaigns with a control group)",
    )
    frame["label"] = frame["campaign_id"] + " " + frame["campaign_name"]
    figure = go.Figure()
    for significant, name, colour in [(True, "significant (p < 0.05)", "#54a24b"),
                                      (False, "not significant", "#9d9d9d")]:
        part = frame[frame["is_significant"].fillna(False).astype(bool) == significant]
        if part.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=part["lift"], y=part["label"], mode="markers", name=name,
                marker={"size": 11, "color": colour},
                error_x={"type": "data", "symmetric": False,
                         "array": part["lift_ci_upper"] - part["lift"],
                         "arrayminus": part["lift"] - part["lift_ci_lower"], "thickness": 2},
                customdata=part[["response_rate", "control_response_rate", "p_value",
                                 "contacted", "control_contacted"]].to_numpy(),
                hovertemplate=(
                    "%{y}<br>lift %{x:+.1%}<br>treatment %{customdata[0]:.1%} (n=%{customdata[3]:,})"
                    "<br>control %{customdata[1]:.1%} (n=%{customdata[4]:,})<br>p = %{customdata[2]:.3f}"
                    "<extra></extra>"
                ),
            )
        )
    figure.add_vline(x=0, line={"color": "black", "width": 1})
    figure.update_layout(
        xaxis={"title": "lift = treatment response rate - control response rate (95 % CI)", "tickformat": "+.0%"},
        yaxis={"type": "category"},
        height=max(360, 46 * len(frame) + 140),
    )
    return figure


def store_archetype_map(connection: duckdb.DuckDBPyConnection) -> go.Figure:
    frame = require_rows(
        query(
            connection,
            """
            with chosen as (
                select coalesce(max(case when is_complete then year end), max(year)) as year
                from marts.store_archetypes
            )

            select archetypes.*
            from marts.store_archetypes as archetypes
            inner join chosen on archetypes.year = chosen.year
            where archetypes.buyers > 0
            order by archetypes.store_archetype, archetypes.store_id
            """,
        ),
        "marts.store_archetypes",
    )
    frame["revenue"] = frame["revenue"].astype(float)
    size_reference = frame["revenue"].max() or 1.0
    figure = go.Figure()
    for archetype, part in frame.groupby("store_archetype", sort=True):
        figure.add_trace(
            go.Scatter(
                x=part["buyers"], y=part["aov"], mode="markers+text", name=archetype,
                text=part["store_id"], textposition="top center",
                marker={"size": 14 + 36 * (part["revenue"] / size_reference) ** 0.5, "opacity": 0.8,
                        "line": {"width": 1, "color": "white"}},
                customdata=part[["revenue", "revenue_change_ratio", "repurchase_rate",
                                 "managed_buyer_share"]].to_numpy(),
                hovertemplate=(
                    "%{text} (" + archetype + ")<br>buyers %{x:,}<br>AOV %{y:,.2f}"
                    "<br>revenue %{customdata[0]:,.0f}<br>change vs last year %{customdata[1]:+.1%}"
                    "<br>repurchase rate %{customdata[2]:.1%}<br>managed share %{customdata[3]:.1%}"
                    "<extra></extra>"
                ),
            )
        )
    year = int(frame["year"].iloc[0])
    figure.update_layout(
        xaxis={"title": f"buyers in fiscal year {year} (traffic, log scale)", "type": "log"},
        yaxis_title="average order value",
        legend_title="archetype",
        height=500,
    )
    return figure


CHARTS = [
    Chart("cohort_retention", "Cohort retention",
          "Share of each monthly cohort of first-time buyers who bought again in each later period "
          "(cohort_retention; period 0 is always 100 % and left out).",
          cohort_retention_heatmap, wide=True),
    Chart("lifecycle_stages", "Lifecycle stage distribution over time",
          "Customers by lifecycle stage at each month end, as shares of all customers "
          "(customer_lifecycle_history; prospects left out).",
          lifecycle_stage_distribution),
    Chart("rfm_grid", "RFM segment grid",
          "Customers in each recency x frequency score cell, labelled with the cell's main RFM segment "
          "(customer_rfm).",
          rfm_segment_grid),
    Chart("kpi_weekly", "Weekly KPI trends",
          "Revenue and buyers per week, and the week-over-week changes of AOV, the 45-day repurchase rate "
          "and their product (kpi_weekly; light bars = incomplete week).",
          weekly_kpi_trends, wide=True),
    Chart("value_pareto", "Value-tier Pareto curve",
          "Cumulative share of revenue against share of customers ranked by spend, with the value-tier "
          "cuts and the 80 % point (customer_rfm, value_tier_summary).",
          value_tier_pareto),
    Chart("gap_waterfall", "Gap analysis: what changed sales",
          "Last year's sales to this year's, split into buyer, frequency and AOV effects per customer "
          "group with the LMDI method; the steps add up exactly (gap_analysis, whole business).",
          gap_waterfall),
    Chart("campaign_lift", "Campaign lift",
          "Response-rate lift of each campaign over its control group with the 95 % confidence interval "
          "(campaign_performance; campaigns without a control group are left out).",
          campaign_lift),
    Chart("store_archetypes", "Store archetype map",
          "Stores by traffic (buyers) and average order value, coloured by archetype, sized by revenue "
          "(store_archetypes, latest complete fiscal year).",
          store_archetype_map),
]


# ------------------------------------------------------------------ the page


def build_info(connection: duckdb.DuckDBPyConnection, warehouse: Path) -> list[tuple[str, str]]:
    """Header facts: as_of_date, when the file was built, what it holds."""
    facts: list[tuple[str, str]] = []

    def scalar(sql: str) -> object:
        try:
            return connection.execute(sql).fetchone()[0]
        except duckdb.Error:
            return None

    as_of = scalar("select max(as_of_date) from marts.customers")
    facts.append(("as_of_date", str(as_of) if as_of is not None else "unknown (empty warehouse)"))
    modified = dt.datetime.fromtimestamp(warehouse.stat().st_mtime, tz=dt.timezone.utc)
    facts.append(("warehouse", f"{warehouse.name}, built {modified:%Y-%m-%d %H:%M} UTC"))
    customers = scalar("select count(*) from marts.customer_rfm")
    purchases = scalar("select count(*) from marts.orders where is_purchase")
    revenue = scalar("select sum(net_amount) from marts.orders where is_purchase")
    if customers is not None:
        facts.append(("customers", f"{customers:,}"))
    if purchases is not None:
        facts.append(("purchases", f"{purchases:,}" + (f" ({float(revenue):,.2f} net)" if revenue else "")))
    rejected = scalar("select sum(rows_rejected) from staging.row_accounting")
    if rejected is not None:
        facts.append(("rejected raw rows", f"{int(rejected):,}"))
    build_tables = connection.execute(
        "select table_schema, table_name from information_schema.tables where table_name ilike '%build_info%'"
    ).fetchall()
    for schema, table in build_tables[:1]:
        row = connection.execute(f'select * from "{schema}"."{table}" limit 1').df()
        for column in row.columns:
            facts.append((column, str(row.at[0, column]) if not row.empty else ""))
    facts.append(("report generated", f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"))
    return facts


STYLE = """
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; margin: 0; background: #f4f5f7; color: #222; }
header { background: #1f3b57; color: white; padding: 18px 32px; }
header h1 { margin: 0 0 8px 0; font-size: 24px; }
header dl { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 0; font-size: 14px; }
header dt { font-weight: bold; display: inline; }
header dd { display: inline; margin: 0 0 0 6px; }
main { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px; padding: 18px 32px; }
@media (max-width: 1100px) { main { grid-template-columns: minmax(0, 1fr); } }
section.chart { min-width: 0; background: white; border-radius: 6px; padding: 12px 16px;
    box-shadow: 0 1px 3px rgba(0,0,0,.15); }
section.chart.wide { grid-column: 1 / -1; }
section.chart h2 { margin: 0; font-size: 18px; }
section.chart p.explanation { margin: 4px 0 8px 0; font-size: 13px; color: #555; }
p.no-data { padding: 40px; text-align: center; background: #fff4e5; color: #8a5300; border-radius: 4px; }
footer { padding: 8px 32px 24px; font-size: 12px; color: #666; }
"""


def render_section(chart: Chart, connection: duckdb.DuckDBPyConnection) -> str:
    try:
        figure = chart.build(connection)
        height = figure.layout.height or DEFAULT_HEIGHT
        figure.update_layout(height=height, margin={"l": 60, "r": 30, "t": 50, "b": 60}, template="plotly_white")
        # The div gets the figure's height, so the section grows with it (no overlap);
        # the width follows the section.
        body = pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=f"plot-{chart.key}",
                           config=PLOT_CONFIG, default_width="100%", default_height=f"{height}px")
        status = "plotted"
    except NoData as reason:
        body = f'<p class="no-data" data-no-data="true">No data: {html.escape(str(reason))}.</p>'
        status = "no-data"
    return (
        f'<section class="chart{" wide" if chart.wide else ""}" id="chart-{chart.key}" '
        f'data-chart="{chart.key}" data-status="{status}">\n'
        f"<h2>{html.escape(chart.title)}</h2>\n"
        f'<p class="explanation">{html.escape(chart.explanation)}</p>\n{body}\n</section>'
    )


def render(connection: duckdb.DuckDBPyConnection, warehouse: Path) -> str:
    facts = build_info(connection, warehouse)
    header = "".join(f"<div><dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd></div>" for name, value in facts)
    sections = "\n".join(render_section(chart, connection) for chart in CHARTS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CRM report</title>
<style>{STYLE}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>
</head>
<body>
<header><h1>CRM lifecycle report</h1><dl>{header}</dl></header>
<main>
{sections}
</main>
<footer>Generated by scripts/report.py with plotly {plotly.__version__} (plotly.js embedded; works offline).</footer>
</body>
</html>
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CRM_DUCKDB_PATH", "warehouse/crm.duckdb"),
        help="DuckDB warehouse to read, opened read-only (default: $CRM_DUCKDB_PATH or warehouse/crm.duckdb)",
    )
    parser.add_argument("--out", default="warehouse/report.html", help="HTML file to write (default %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warehouse = Path(args.warehouse)
    if not warehouse.is_absolute():
        warehouse = PROJECT_DIR / warehouse
    if not warehouse.exists():
        print(f"report: no warehouse at {warehouse}: run `make build` first", file=sys.stderr)
        return 1
    out = Path(args.out)
    if not out.is_absolute():
        out = PROJECT_DIR / out
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        page = render(connection, warehouse)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    empty = [chart.key for chart in CHARTS if f'data-chart="{chart.key}" data-status="no-data"' in page]
    print(f"report: wrote {out} ({len(page) / 1e6:.1f} MB, {len(CHARTS) - len(empty)} charts"
          + (f", no data for {', '.join(empty)}" if empty else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
