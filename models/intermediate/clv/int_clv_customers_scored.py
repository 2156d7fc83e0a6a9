"""Score every customer with the fitted BG/NBD and Gamma-Gamma models (numpy / scipy only).

Closed forms of Fader, Hardie & Lee (2005), for a customer with x repeat purchases,
the last at t_x, observed for T (all in the fit's time unit):

- P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
- E[Y(t) | x, t_x, T] = P(alive) (a + b + x - 1) / (a - 1)
      [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
  purchases expected in the next t (valid for a != 1, including the usual a < 1);
- Gamma-Gamma expected spend per purchase given x and the mean repeat value m:
  (q - 1) / (p x + q - 1) * p v / (q - 1) + p x / (p x + q - 1) * m (the population
  mean p v / (q - 1) for x = 0; needs q > 1).

CLV over the next 365 days = expected spend per purchase x the expected purchases in
each of 12 equal steps (365 / 12 days), each discounted at the step's end at the
annual rate d: sum_k (E[Y(t_k)] - E[Y(t_k-1)]) / (1 + d)^(k / 12).

The Gauss hypergeometric part depends on (x, T) only and is evaluated once per
distinct pair. `model(dbt, session)` is the only part that touches dbt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

CLV_HORIZON_DAYS = 365.0
CLV_STEPS = 12
OUTPUT_COLUMNS = {
    "customer_id": "object",
    "x": "int64",
    "t_x": "float64",
    "T": "float64",
    "p_alive": "float64",
    "expected_purchases_90d": "float64",
    "expected_purchases_365d": "float64",
    "expected_aov": "float64",
    "clv_365d": "float64",
    "holdout_expected_purchases": "float64",
}


def bg_nbd_p_alive(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T): 1 for customers without a repeat purchase."""
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    has_repeat = x > 0
    safe_b = np.where(has_repeat, b + x - 1.0, 1.0)
    log_odds = np.log(a) - np.log(safe_b) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(has_repeat, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)


def _alive_expected_purchases(params: dict[str, float], t: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T] / P(alive) for each horizon in t (one column each).

    It depends on (x, T) only: evaluated once per distinct pair (hash-based grouping).
    """
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    x_codes, x_values = pd.factorize(np.asarray(x, dtype=float))
    T_codes, T_values = pd.factorize(np.asarray(T, dtype=float))
    codes, pair_codes = pd.factorize(x_codes.astype(np.int64) * len(T_values) + T_codes)
    ux = x_values[pair_codes // len(T_values)]
    uT = T_values[pair_codes % len(T_values)]
    horizons = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.empty((len(codes), len(horizons)))
    for column, horizon in enumerate(horizons):
        z = horizon / (alpha + uT + horizon)
        bracket = 1.0 - np.exp((r + ux) * np.log1p(-z)) * special.hyp2f1(r + ux, b + ux, a + b + ux - 1.0, z)
        out[:, column] = ((a + b + ux - 1.0) / (a - 1.0) * bracket)[codes]
    return out


def bg_nbd_expected_purchases(params: dict[str, float], t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in the next t (scalar t)."""
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    alive = bg_nbd_p_alive(params, x, t_x, T)
    return alive * _alive_expected_purchases(params, np.array([float(t)]), x, T)[:, 0]


def gamma_gamma_expected_value(params: dict[str, float], x, m) -> np.ndarray:
    """Expected spend per purchase given x repeat purchases of mean value m (m ignored for x = 0)."""
    p, q, v = (params[name] for name in ("p", "q", "v"))
    x = np.asarray(x, dtype=float)
    m = np.where(x > 0, np.nan_to_num(np.asarray(m, dtype=float)), 0.0)
    if q <= 1.0:
        return np.full(x.shape, np.nan)  # the population mean p v / (q - 1) does not exist
    return (p * (v + x * m)) / (p * x + q - 1.0)


def _clv_step_ends(horizon_days: float = CLV_HORIZON_DAYS, steps: int = CLV_STEPS) -> np.ndarray:
    """Days after as_of_date at which each CLV step ends."""
    return np.arange(1, steps + 1) * horizon_days / steps


def _discounted(expected_value: np.ndarray, cumulative: np.ndarray, step_ends: np.ndarray, rate: float) -> np.ndarray:
    """Expected value x the expected purchases of each step, discounted at each step's end (in years).

    sum_k (C_k - C_k-1) d_k = sum_k C_k (d_k - d_k+1), with C the cumulative expected
    purchases at the step ends, d the discount factors and d_K+1 = 0.
    """
    discount = (1.0 + rate) ** (-step_ends / 365.0)
    weights = discount - np.append(discount[1:], 0.0)
    return np.asarray(expected_value, dtype=float) * (cumulative @ weights)


def discounted_clv(
    bg_params: dict[str, float],
    expected_value: np.ndarray,
    x, t_x, T,
    unit_days: float,
    annual_discount_rate: float,
    horizon_days: float = CLV_HORIZON_DAYS,
    steps: int = CLV_STEPS,
) -> np.ndarray:
    """CLV over horizon_days: expected value per purchase x expected purchases per step, discounted."""
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    step_ends = _clv_step_ends(horizon_days, steps)
    cumulative = _alive_expected_purchases(bg_params, step_ends / unit_days, x, T)
    cumulative *= bg_nbd_p_alive(bg_params, x, t_x, T)[:, None]
    return _discounted(expected_value, cumulative, step_ends, annual_discount_rate)


def _params(params: pd.DataFrame, fit_window: str, model_name: str) -> dict[str, float] | None:
    rows = params[(params["fit_window"] == fit_window) & (params["model"] == model_name)]
    if rows.empty:
        return None
    return {str(row.parameter): float(row.value) for row in rows.itertuples()}


def score_customers(summary: pd.DataFrame, params: pd.DataFrame, annual_discount_rate: float = 0.1) -> pd.DataFrame:
    """One row per customer of summary (int_customers_clv_summarized, days) with predictions."""
    rate = float(annual_discount_rate)
    if not 0.0 <= rate < 10.0:
        raise ValueError(f"var clv_annual_discount_rate = {annual_discount_rate} must be a rate such as 0.1.")
    bg = _params(params, "full", "bg_nbd")
    if bg is None or summary.empty:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS)).astype(OUTPUT_COLUMNS)
    unit_days = float(params["time_unit_days"].iloc[0])
    x = summary["repeat_occasions"].to_numpy(dtype=float)
    t_x = summary["first_to_last_days"].to_numpy(dtype=float) / unit_days
    T = summary["first_to_as_of_days"].to_numpy(dtype=float) / unit_days
    alive = bg_nbd_p_alive(bg, x, t_x, T)
    step_ends = _clv_step_ends()  # the last step ends at 365 days
    horizons = np.concatenate([[90.0], step_ends])
    expected = _alive_expected_purchases(bg, horizons / unit_days, x, T) * alive[:, None]

    gg = _params(params, "full", "gamma_gamma")
    if gg is None:
        expected_value = np.full(len(x), np.nan)
    else:
        mean_value = summary["avg_repeat_occasion_value"].to_numpy(dtype=float, na_value=np.nan)
        expected_value = gamma_gamma_expected_value(gg, x, mean_value)
    clv = _discounted(expected_value, expected[:, 1:], step_ends, rate)

    holdout = np.full(len(x), np.nan)
    calibration_bg = _params(params, "calibration", "bg_nbd")
    in_calibration = summary["is_in_calibration"].to_numpy(dtype=bool)
    if calibration_bg is not None and in_calibration.any():
        calibration = summary[in_calibration]
        holdout[in_calibration] = bg_nbd_expected_purchases(
            calibration_bg,
            float(calibration["holdout_days"].iloc[0]) / unit_days,
            calibration["calibration_repeat_occasions"].to_numpy(dtype=float),
            calibration["calibration_first_to_last_days"].to_numpy(dtype=float) / unit_days,
            calibration["calibration_first_to_end_days"].to_numpy(dtype=float) / unit_days,
        )

    frame = pd.DataFrame(
        {
            "customer_id": summary["customer_id"].astype(str).to_numpy(),
            "x": x.astype("int64"),
            "t_x": t_x,
            "T": T,
            "p_alive": alive,
            "expected_purchases_90d": expected[:, 0],
            "expected_purchases_365d": expected[:, -1],
            "expected_aov": expected_value,
            "clv_365d": clv,
            "holdout_expected_purchases": holdout,
        }
    )
    return frame.astype(OUTPUT_COLUMNS)


def model(dbt, session):
    dbt.config(materialized="table")
    rate = dbt.config.meta_get("clv_annual_discount_rate")
    summary = dbt.ref("int_customers_clv_summarized").df()
    params = dbt.ref("int_clv_models_fitted").df()
    return score_customers(summary, params, 0.1 if rate is None else float(rate))
