// Shared pieces of the CRM dashboard: human labels for the marts' codes, number
// formats, the filter inputs, KPI tiles and the chart frame the browser test reads.
// Bare imports ("htl", "@observablehq/plot") are bundled from node_modules at build
// time, so the site loads nothing from outside its own folder.
import {html} from "htl";
import * as Inputs from "@observablehq/inputs";

const LABELS = {
  // lifecycle stages (docs/definitions.md#lifecycle)
  after_sale: "After sale",
  active: "Active",
  silent: "Silent",
  sleeping: "Sleeping",
  pre_churn: "Pre-churn",
  lost: "Lost",
  prospect: "Prospect (first purchase)",
  unknown: "Unknown",
  // RFM segments
  champions: "Champions",
  loyal: "Loyal",
  potential_loyalists: "Potential loyalists",
  new: "New",
  promising: "Promising",
  need_attention: "Need attention",
  about_to_sleep: "About to sleep",
  at_risk: "At risk",
  cant_lose_them: "Can't lose them",
  hibernating: "Hibernating",
  unscored: "Not scored",
  // order and campaign channels
  online: "Online",
  store: "Store",
  flash_sale: "Flash sale",
  sms: "SMS",
  email: "Email",
  event: "Event",
  direct_mail: "Direct mail",
  call: "Phone call",
  // value tiers
  top: "Top",
  high: "High",
  middle: "Middle",
  low: "Low",
  // gap analysis customer groups
  all: "All buyers",
  retained_new: "Retained new buyers",
  retained_returning: "Retained returning buyers",
  reactivated: "Reactivated buyers",
  // store archetypes
  balanced: "Balanced",
  traffic_led: "Traffic-led",
  high_end_led: "High-end-led",
  loyalty_led: "Loyalty-led",
  new_store: "New store",
  underperforming: "Underperforming",
  // campaign objectives
  reactivation: "Reactivation",
  vip_event: "VIP event",
  second_purchase: "Second purchase",
  birthday: "Birthday",
  product_launch: "Product launch"
};

export const STAGE_ORDER = ["after_sale", "active", "silent", "sleeping", "pre_churn", "lost"];
export const SEGMENT_ORDER = [
  "champions", "loyal", "potential_loyalists", "new", "promising", "need_attention",
  "about_to_sleep", "at_risk", "cant_lose_them", "hibernating", "lost", "unscored"
];
export const ALL = "__all__";

/** A code from the marts as people read it: "pre_churn" -> "Pre-churn". */
export function label(code) {
  if (code === null || code === undefined) return "Unknown";
  if (code === ALL) return "All";
  if (code in LABELS) return LABELS[code];
  const text = String(code).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const money0 = new Intl.NumberFormat("en-US", {maximumFractionDigits: 0});
const money2 = new Intl.NumberFormat("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
const count = new Intl.NumberFormat("en-US", {maximumFractionDigits: 0});

export const fmt = {
  money: (value) => (value == null || Number.isNaN(value) ? "–" : money0.format(value)),
  money2: (value) => (value == null || Number.isNaN(value) ? "–" : money2.format(value)),
  count: (value) => (value == null || Number.isNaN(value) ? "–" : count.format(value)),
  pct: (value, digits = 1) => (value == null || Number.isNaN(value) ? "–" : `${(100 * value).toFixed(digits)} %`),
  // a change given as a ratio (this / previous): 1.05 -> "+5.0 %"
  ratioChange: (ratio) =>
    ratio == null || Number.isNaN(ratio) || !Number.isFinite(ratio)
      ? "–"
      : `${ratio >= 1 ? "+" : "−"}${Math.abs(100 * (ratio - 1)).toFixed(1)} %`,
  date: (iso) => (iso ? String(iso).slice(0, 10) : "–")
};

/** A select input over codes, shown with their labels, with "All ..." first. */
export function codeSelect(codes, {label: title, all}) {
  return Inputs.select([ALL, ...codes], {label: title, format: (code) => (code === ALL ? all : label(code))});
}

/** A select input over stores, shown by name. */
export function storeSelect(stores, {label: title = "Store", all = "All stores"} = {}) {
  const names = new Map(stores.map((store) => [store.store_id, store.store_name]));
  return Inputs.select([ALL, ...stores.map((store) => store.store_id)], {
    label: title,
    format: (id) => (id === ALL ? all : names.get(id) ?? id)
  });
}

export const matches = (selected, value) => selected === ALL || selected === value;

/** One KPI tile: value, the change against the previous period and the target. */
export function tile({key, title, value, format, change, changeLabel, target, targetLabel}) {
  const changeText = change == null ? "" : `${fmt.ratioChange(change)} ${changeLabel}`;
  const vsTarget = target == null || value == null ? null : value / target;
  return html`<div class="card kpi" data-kpi=${key}>
    <h3>${title}</h3>
    <div class="kpi-value" data-kpi-value>${format(value)}</div>
    <div class=${change == null ? "kpi-change" : change >= 1 ? "kpi-change up" : "kpi-change down"}>${changeText}</div>
    <div class="kpi-target">${
      target == null
        ? targetLabel ?? "no target"
        : html`${targetLabel}: ${format(target)} (${fmt.pct(vsTarget, 0)} of target)`
    }</div>
  </div>`;
}

/**
 * A chart in a card: a title, a one-line explanation and the Plot figure (or a
 * visible note when there is nothing to draw). data-chart / data-rows are what
 * tests/python/test_dashboard.py reads.
 */
export function chart(key, title, explanation, rows, draw) {
  const body = rows.length ? draw() : html`<p class="no-data">No data for this selection.</p>`;
  return html`<div class="card chart" data-chart=${key} data-rows=${rows.length}>
    <h2>${title}</h2>
    <p class="explanation">${explanation}</p>
    ${body}
  </div>`;
}

/** Monday of the ISO week of an ISO date string ("2026-07-02" -> "2026-06-29"). */
export function weekStart(iso) {
  const day = new Date(`${iso}T00:00:00Z`);
  const offset = (day.getUTCDay() + 6) % 7;
  day.setUTCDate(day.getUTCDate() - offset);
  return day.toISOString().slice(0, 10);
}

export function addDays(iso, days) {
  const day = new Date(`${iso}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

export const toDate = (iso) => new Date(`${String(iso).slice(0, 10)}T00:00:00Z`);

/** Buyers, orders, revenue and AOV of a list of purchase row indexes. */
export function summarise(purchases, indexes) {
  const buyers = new Set();
  let revenue = 0;
  for (const index of indexes) {
    buyers.add(purchases.customer_id[index]);
    revenue += purchases.net_amount[index];
  }
  const orders = indexes.length;
  return {buyers: buyers.size, orders, revenue, aov: orders ? revenue / orders : null};
}
