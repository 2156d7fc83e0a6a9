"""Score every customer with each fitted purchase model and Gamma-Gamma (numpy / scipy only).

One row per customer and purchase model (bg_nbd, mbg_nbd, pareto_nbd); the marts keep
the model chosen on the holdout check (int_clv_model_choice). Closed forms, for a
customer with x repeat purchases, the last at t_x, observed for T (in the fit's time unit):

- BG/NBD (Fader, Hardie & Lee 2005):
  P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
  E[Y(t)] = P(alive) (a + b + x - 1) / (a - 1)
      [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
  purchases expected in the next t (valid for a != 1, including the usual a < 1);
- MBG/NBD (Batislam, Denizel & Filiztekin 2007): the same with b + 1 in place of b and
  the dropout term for every x: P(alive) = 1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x)),
  so a one-time buyer seen long ago is probably gone;
- Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005 note):
  P(alive) = A / (A + s (I(t_x) - I(T))), A = (alpha + T)^-(r + x) (beta + T)^-s, I as in
  int_clv_models_fitted; E[Y(t)] = P(alive) (r + x) (beta + T) / ((alpha + T) (s - 1))
  [1 - ((beta + T) / (beta + T + t))^(s - 1)] (the limit (r + x) (beta + T) / (alpha + T)
  log(1 + t / (beta + T)) at s = 1);
- expected days to the next purchase, given alive: in all three models an alive
  customer buys at rate lambda with posterior Gamma(r + x, alpha + T), so the wait W
  has P(W > w) = ((alpha + T) / (alpha + T + w))^(r + x) (Lomax). Its mean
  (alpha + T) / (r + x - 1) exists for r + x > 1; for r + x <= 1 the mean is infinite
  and the median (alpha + T) (2^(1 / (r + x)) - 1) is used (next_order_estimate says
  which). Dropout during the wait is not in it (that is p_alive). Null beyond 100 years;
- Gamma-Gamma expected spend per purchase given x and the mean repeat value m:
  (q - 1) / (p x + q - 1) * p v / (q - 1) + p x / (p x + q - 1) * m (the population
  mean p v / (q - 1) for x = 0; needs q > 1).

CLV over the next 365 days = expected spend per purchase x the expected purchases in
each of 12 equal steps (365 / 12 days), each discounted at the step's end at the
annual rate d: sum_k (E[Y(t_k)] - E[Y(t_k-1)]) / (1 + d)^(k / 12).

The Gauss hypergeometric part depends on (x, T) only and is evaluated once per
distinct pair. The Pareto/NBD integral I is written again here (a dbt Python model
cannot import another); tests check both copies against numeric integration.
`model(dbt, session)` is the only part that touches dbt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

CLV_HORIZON_DAYS = 365.0
CLV_STEPS = 12
PURCHASE_MODELS = ("bg_nbd", "mbg_nbd", "pareto_nbd")
MAX_DAYS_TO_NEXT_ORDER = 36525.0  # 100 years: beyond that the date is null
OUTPUT_COLUMNS = {
    "customer_id": "object",
    "model": "object",
    "x": "int64",
    "t_x": "float64",
    "T": "float64",
    "p_alive": "float64",
    "expected_purchases_90d": "float64",
    "expected_purchases_365d": "float64",
    "expected_aov": "float64",
    "clv_365d": "float64",
    "expected_days_to_next_order": "float64",
    "next_order_estimate": "object",
    "holdout_expected_purchases": "float64",
}


def bg_nbd_p_alive(params: dict[str, float], x, t_x, T, modified: bool = False) -> np.ndarray:
    """P(alive | x, t_x, T): BG/NBD (1 for customers without a repeat purchase) or MBG/NBD."""
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    has_repeat = np.ones(x.shape, dtype=bool) if modified else x > 0
    safe_b = np.where(has_repeat, b + x - (0.0 if modified else 1.0), 1.0)
    log_odds = np.log(a) - np.log(safe_b) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(has_repeat, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)


def mbg_nbd_p_alive(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """MBG/NBD P(alive | x, t_x, T): below 1 for one-time buyers too."""
    return bg_nbd_p_alive(params, x, t_x, T, modified=True)


def _alive_expected_purchases(
    params: dict[str, float], t: np.ndarray, x: np.ndarray, T: np.ndarray, modified: bool = False
) -> np.ndarray:
    """E[Y(t) | x, t_x, T] / P(alive) for each horizon in t (one column each), BG/NBD or MBG/NBD.

    It depends on (x, T) only: evaluated once per distinct pair (hash-based grouping).
    MBG/NBD is BG/NBD's expression with b + 1 in place of b.
    """
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    b = b + (1.0 if modified else 0.0)
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
    return expected_purchases("bg_nbd", params, t, x, t_x, T)


def mbg_nbd_expected_purchases(params: dict[str, float], t, x, t_x, T) -> np.ndarray:
    """MBG/NBD E[Y(t) | x, t_x, T] (scalar t)."""
    return expected_purchases("mbg_nbd", params, t, x, t_x, T)


def pareto_nbd_log_integral(params: dict[str, float], x, t) -> np.ndarray:
    """log of I(t) = integral from t to infinity of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du.

    The same function as in int_clv_models_fitted (see there for the closed form).
    """
    r, alpha, s, beta = (params[name] for name in ("r", "alpha", "s", "beta"))
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    rx, c = r + x, r + s + x + 1.0
    if alpha >= beta:
        series = special.hyp2f1(1.0, rx, c, (alpha - beta) / (alpha + t))
        return np.log(series) - np.log(c - 1.0) - rx * np.log(alpha + t) - s * np.log(beta + t)
    series = special.hyp2f1(1.0, s + 1.0, c, (beta - alpha) / (beta + t))
    return np.log(series) - np.log(c - 1.0) - (rx - 1.0) * np.log(alpha + t) - (s + 1.0) * np.log(beta + t)


def pareto_nbd_p_alive(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """Pareto/NBD P(alive | x, t_x, T) = A / (A + s (I(t_x) - I(T))), in log space."""
    r, alpha, s, beta = (params[name] for name in ("r", "alpha", "s", "beta"))
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_I_tx = pareto_nbd_log_integral(params, x, t_x)
    log_I_T = pareto_nbd_log_integral(params, x, T)
    with np.errstate(divide="ignore"):  # t_x = T: no time to die unseen, P(alive) = 1
        log_dead = np.log(s) + log_I_tx + np.log(-np.expm1(np.minimum(log_I_T - log_I_tx, 0.0)))
    return special.expit(log_alive - log_dead)


def _pareto_nbd_alive_expected_purchases(params: dict[str, float], t: np.ndarray, x, T) -> np.ndarray:
    """Pareto/NBD E[Y(t)] / P(alive) for each horizon in t (one column each)."""
    r, alpha, s, beta = (params[name] for name in ("r", "alpha", "s", "beta"))
    x, T = np.asarray(x, dtype=float)[:, None], np.asarray(T, dtype=float)[:, None]
    horizons = np.atleast_1d(np.asarray(t, dtype=float))[None, :]
    log_growth = np.log1p(horizons / (beta + T))  # log((beta + T + t) / (beta + T))
    if abs(s - 1.0) < 1e-9:
        lifetime = log_growth
    else:  # [1 - ((beta + T) / (beta + T + t))^(s - 1)] / (s - 1), stable near s = 1
        lifetime = -np.expm1(-(s - 1.0) * log_growth) / (s - 1.0)
    return (r + x) * (beta + T) / (alpha + T) * lifetime


def p_alive(model_name: str, params: dict[str, float], x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) under model_name (bg_nbd | mbg_nbd | pareto_nbd)."""
    if model_name == "pareto_nbd":
        return pareto_nbd_p_alive(params, x, t_x, T)
    return bg_nbd_p_alive(params, x, t_x, T, modified=model_name == "mbg_nbd")


def cumulative_expected_purchases(model_name: str, params: dict[str, float], t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T] for each horizon in t (one column each) under model_name."""
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    horizons = np.atleast_1d(np.asarray(t, dtype=float))
    if model_name == "pareto_nbd":
        alive_part = _pareto_nbd_alive_expected_purchases(params, horizons, x, T)
    else:
        alive_part = _alive_expected_purchases(params, horizons, x, T, modified=model_name == "mbg_nbd")
    return alive_part * p_alive(model_name, params, x, t_x, T)[:, None]


def expected_purchases(model_name: str, params: dict[str, float], t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in the next t (scalar t) under model_name."""
    return cumulative_expected_purchases(model_name, params, np.array([float(t)]), x, t_x, T)[:, 0]


def days_to_next_order(params: dict[str, float], x, T, unit_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Expected days to the next purchase of an alive customer, and 'mean' or 'median'.

    The wait is Lomax(r + x, alpha + T) in every model (module docstring): its mean
    (alpha + T) / (r + x - 1) for r + x > 1, else its median (alpha + T) (2^(1 / (r + x)) - 1).
    More than MAX_DAYS_TO_NEXT_ORDER (or not finite) gives NaN.
    """
    r, alpha = params["r"], params["alpha"]
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    shape, scale = r + x, alpha + T
    has_mean = shape > 1.0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        mean = scale / np.where(has_mean, shape - 1.0, 1.0)
        median = scale * np.expm1(np.log(2.0) / shape)
        days = np.where(has_mean, mean, median) * unit_days
    days = np.where(np.isfinite(days) & (days <= MAX_DAYS_TO_NEXT_ORDER), days, np.nan)
    return days, np.where(has_mean, "mean", "median").astype(object)


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
    params: dict[str, float],
    expected_value: np.ndarray,
    x, t_x, T,
    unit_days: float,
    annual_discount_rate: float,
    horizon_days: float = CLV_HORIZON_DAYS,
    steps: int = CLV_STEPS,
    model_name: str = "bg_nbd",
) -> np.ndarray:
    """CLV over horizon_days: expected value per purchase x expected purchases per step, discounted."""
    step_ends = _clv_step_ends(horizon_days, steps)
    cumulative = cumulative_expected_purchases(model_name, params, step_ends / unit_days, x, t_x, T)
    return _discounted(expected_value, cumulative, step_ends, annual_discount_rate)


def _params(params: pd.DataFrame, fit_window: str, model_name: str) -> dict[str, float] | None:
    rows = params[(params["fit_window"] == fit_window) & (params["model"] == model_name)]
    if rows.empty:
        return None
    return {str(row.parameter): float(row.value) for row in rows.itertuples()}


def score_customers(summary: pd.DataFrame, params: pd.DataFrame, annual_discount_rate: float = 0.1) -> pd.DataFrame:
    """One row per customer of summary (int_customers_clv_summarized, days) and fitted purchase model."""
    rate = float(annual_discount_rate)
    if not 0.0 <= rate < 10.0:
        raise ValueError(f"var clv_annual_discount_rate = {annual_discount_rate} must be a rate such as 0.1.")
    empty = pd.DataFrame(columns=list(OUTPUT_COLUMNS)).astype(OUTPUT_COLUMNS)
    if summary.empty or params.empty:
        return empty
    unit_days = float(params["time_unit_days"].iloc[0])
    x = summary["repeat_occasions"].to_numpy(dtype=float)
    t_x = summary["first_to_last_days"].to_numpy(dtype=float) / unit_days
    T = summary["first_to_as_of_days"].to_numpy(dtype=float) / unit_days
    step_ends = _clv_step_ends()  # the last step ends at 365 days
    horizons = np.concatenate([[90.0], step_ends])

    gg = _params(params, "full", "gamma_gamma")
    if gg is None:
        expected_value = np.full(len(x), np.nan)
    else:
        mean_value = summary["avg_repeat_occasion_value"].to_numpy(dtype=float, na_value=np.nan)
        expected_value = gamma_gamma_expected_value(gg, x, mean_value)

    in_calibration = summary["is_in_calibration"].to_numpy(dtype=bool)
    calibration = summary[in_calibration]
    frames = []
    for model_name in PURCHASE_MODELS:
        full = _params(params, "full", model_name)
        if full is None:
            continue
        expected = cumulative_expected_purchases(model_name, full, horizons / unit_days, x, t_x, T)
        clv = _discounted(expected_value, expected[:, 1:], step_ends, rate)
        wait_days, estimate = days_to_next_order(full, x, T, unit_days)
        holdout = np.full(len(x), np.nan)
        calibration_params = _params(params, "calibration", model_name)
        if calibration_params is not None and in_calibration.any():
            holdout[in_calibration] = expected_purchases(
                model_name,
                calibration_params,
                float(calibration["holdout_days"].iloc[0]) / unit_days,
                calibration["calibration_repeat_occasions"].to_numpy(dtype=float),
                calibration["calibration_first_to_last_days"].to_numpy(dtype=float) / unit_days,
                calibration["calibration_first_to_end_days"].to_numpy(dtype=float) / unit_days,
            )
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": summary["customer_id"].astype(str).to_numpy(),
                    "model": model_name,
                    "x": x.astype("int64"),
                    "t_x": t_x,
                    "T": T,
                    "p_alive": p_alive(model_name, full, x, t_x, T),
                    "expected_purchases_90d": expected[:, 0],
                    "expected_purchases_365d": expected[:, -1],
                    "expected_aov": expected_value,
                    "clv_365d": clv,
                    "expected_days_to_next_order": wait_days,
                    "next_order_estimate": estimate,
                    "holdout_expected_purchases": holdout,
                }
            )
        )
    if not frames:
        return empty
    return pd.concat(frames, ignore_index=True).astype(OUTPUT_COLUMNS)


def model(dbt, session):
    dbt.config(materialized="table")
    rate = dbt.config.meta_get("clv_annual_discount_rate")
    # In customer_id order: the table's row order follows the join plan that built it, and
    # sums over the customers (in numpy's vectorised loops) change in the last bits with it.
    summary = dbt.ref("int_customers_clv_summarized").df().sort_values("customer_id", ignore_index=True)
    params = dbt.ref("int_clv_models_fitted").df()
    return score_customers(summary, params, 0.1 if rate is None else float(rate))
