"""Fit BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma by maximum likelihood (numpy / scipy only).

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") models
each customer's repeat purchases x in (0, T] with the last one at t_x: while
alive, purchases follow a Poisson process of rate lambda ~ Gamma(r, alpha); after
each purchase the customer dies with probability p ~ Beta(a, b). MBG/NBD (Batislam,
Denizel & Filiztekin 2007) lets the customer die at the first purchase too, so a
one-time buyer is not certainly alive. Pareto/NBD (Schmittlein, Morrison & Colombo
1987) has the same purchasing and an exponential lifetime of rate mu ~ Gamma(s, beta),
so death can come at any time. Gamma-Gamma
(Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013) models the mean
value m of a repeat customer's x purchases: values ~ Gamma(p, nu), nu ~ Gamma(q, v).

The likelihood is summed over distinct (x, t_x, T) rows weighted by how many
customers share them, and every special function (log-gamma, digamma) is evaluated
once per distinct x, T or t_x (Pareto/NBD's hypergeometric function once per
distinct (x, t_x) and (x, T) pair) and looked up: a million customers fit in
seconds (docs/benchmarks.md). Parameters are optimised on the log scale with L-BFGS-B
(analytic gradients except for Pareto/NBD), from fixed starting values, so a rerun on
the same data gives the same numbers.

dbt: `model(dbt, session)` is the only part that touches dbt; it reads
int_customers_clv_summarized (days) and writes one row per fitted parameter, for
the full window (up to as_of_date) and, for the purchase models, the calibration
window of the holdout check.
Everything else is plain functions that tests import with importlib.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, special

TIME_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0}
BG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
MBG_NBD_PARAMETERS = BG_NBD_PARAMETERS
PARETO_NBD_PARAMETERS = ("r", "alpha", "s", "beta")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")
LOG_BOUNDS = (-10.0, 10.0)  # every parameter in [4.5e-5, 2.2e4]: finite predictions on degenerate data
GRADIENT_TOLERANCE = 1e-6  # of the mean log-likelihood per customer, in log-parameters
OUTPUT_COLUMNS = {
    "fit_window": "object",
    "model": "object",
    "parameter": "object",
    "value": "float64",
    "log_likelihood": "float64",
    "customers": "int64",
    "fitted_rows": "int64",
    "converged": "bool",
    "time_unit": "object",
    "time_unit_days": "float64",
}


class FitResult(NamedTuple):
    """Maximum-likelihood estimates of one model."""

    params: dict[str, float]
    log_likelihood: float  # total over customers (weights included)
    customers: int  # customers in the fit (sum of weights)
    fitted_rows: int  # distinct rows the likelihood was summed over
    converged: bool
    iterations: int


def time_unit_days(time_unit: str) -> float:
    """Days in one time unit (var clv_time_unit: day | week | month)."""
    key = str(time_unit).strip().lower()
    if key not in TIME_UNIT_DAYS:
        raise ValueError(
            f"var clv_time_unit = '{time_unit}' is not supported: use one of {', '.join(TIME_UNIT_DAYS)}."
        )
    return TIME_UNIT_DAYS[key]


def compress(*columns, weights=None) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the columns (sorted) and the total weight (customer count) of each."""
    frame = pd.DataFrame({f"c{index}": np.asarray(column, dtype=float) for index, column in enumerate(columns)})
    frame["weight"] = 1.0 if weights is None else np.asarray(weights, dtype=float)
    grouped = frame.groupby(list(frame.columns[:-1]), sort=True)["weight"].sum()
    keys = grouped.index.to_frame(index=False)
    return [keys[column].to_numpy(dtype=float) for column in keys.columns], grouped.to_numpy(dtype=float)


def _dot(left: np.ndarray, right: np.ndarray) -> float:
    """Sum of products, without BLAS threads (einsum): fast and steady on a busy machine."""
    return float(np.einsum("i,i->", left, right))


def _lookup(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and, per row, the index of its value among them."""
    unique_values, inverse = np.unique(values, return_inverse=True)
    return unique_values, inverse.ravel()


# --------------------------------------------------------------------------- BG/NBD


def bg_nbd_log_likelihood(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, equation 6), straightforward form."""
    r, alpha, a, b = (params[name] for name in BG_NBD_PARAMETERS)
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    log_beta_ab = special.betaln(a, b)
    log_a_term = special.betaln(a, b + x) - log_beta_ab - (r + x) * np.log(alpha + T)
    has_repeat = x > 0
    safe_b = np.where(has_repeat, b + x - 1.0, 1.0)
    log_b_term = np.where(
        has_repeat,
        special.betaln(a + 1.0, safe_b) - log_beta_ab - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return common + np.logaddexp(log_a_term, log_b_term)


class _BgNbdData:
    """Distinct (x, t_x, T) rows with weights, split into x = 0 and x > 0, with lookups.

    Everything that does not depend on the parameters is computed here once. For
    MBG/NBD (modified=True) every row has the two-term form of a repeat customer, with
    b + x in place of b + x - 1 (offset 1): the "x = 0" group is empty.
    """

    def __init__(self, x, t_x, T, weights, modified: bool = False):
        x, t_x, T, weights = (np.asarray(values, dtype=float) for values in (x, t_x, T, weights))
        self.total_weight = float(weights.sum())
        self.offset = 1.0 if modified else 0.0
        zero = (x == 0) & (not modified)
        # x = 0: the likelihood is (alpha / (alpha + T))^r, it depends on T only
        self.zero_T, self.zero_weights = T[zero], weights[zero]
        self.zero_weight = float(self.zero_weights.sum())
        # x > 0
        repeat = ~zero
        self.x, self.w = x[repeat], weights[repeat]
        self.wx = self.w * self.x
        self.x_values, self.x_index = _lookup(self.x)
        self.x_weights = np.bincount(self.x_index, weights=self.w, minlength=len(self.x_values))
        self.T_values, self.T_index = _lookup(T[repeat])
        self.t_values, self.t_index = _lookup(t_x[repeat])


def _bg_nbd_objective(log_params: np.ndarray, data: _BgNbdData) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood per customer and its gradient in log-parameters.

    With D = log a - log(b + x - 1) + (r + x) log((alpha + T) / (alpha + t_x)), a
    repeat customer's log-likelihood is
    lnG(r + x) - lnG(r) + r log alpha + lnG(b + x) - lnG(a + b + x) + lnG(a + b) - lnG(b)
    - (r + x) log(alpha + T) + log(1 + e^D); terms in x alone are summed per distinct x.
    MBG/NBD (data.offset = 1) is the same with b + x + 1, a + b + x + 1 and b + x in
    place of b + x, a + b + x and b + x - 1, for every customer (x = 0 included).
    """
    r, alpha, a, b = np.exp(log_params)
    b_x = b + data.offset  # lnG(b_x + x) - lnG(a + b_x + x): the BG/NBD terms with b shifted
    gammaln, digamma = special.gammaln, special.digamma
    value = d_r = d_alpha = d_a = d_b = 0.0

    if data.zero_weight > 0:
        log_ratio = np.log(alpha) - np.log(alpha + data.zero_T)
        value += r * _dot(data.zero_weights, log_ratio)
        d_r += _dot(data.zero_weights, log_ratio)
        d_alpha += r / alpha * data.zero_weight - r * _dot(data.zero_weights, 1.0 / (alpha + data.zero_T))

    if len(data.x) > 0:
        ux, W = data.x_values, data.x_weights
        # per distinct x
        value += _dot(
            W,
            gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + gammaln(b_x + ux) - gammaln(a + b_x + ux)
            + gammaln(a + b) - gammaln(b),
        )
        d_r += _dot(W, digamma(r + ux) - digamma(r) + np.log(alpha))
        d_alpha += r / alpha * W.sum()
        d_a += _dot(W, digamma(a + b) - digamma(a + b_x + ux))
        d_b += _dot(W, digamma(b_x + ux) - digamma(a + b_x + ux) + digamma(a + b) - digamma(b))
        # per distinct T and t_x
        log_T = np.log(alpha + data.T_values)[data.T_index]
        log_t = np.log(alpha + data.t_values)[data.t_index]
        inv_T = (1.0 / (alpha + data.T_values))[data.T_index]
        inv_t = (1.0 / (alpha + data.t_values))[data.t_index]
        # per row
        log_ratio = log_T - log_t
        d = (np.log(a) - np.log(b_x + ux - 1.0))[data.x_index] + (r + data.x) * log_ratio
        softplus = np.logaddexp(0.0, d)
        share = special.expit(d)  # the weight of the "died after the last purchase" term
        w_log_T = _dot(data.w, log_T)
        value += -r * w_log_T - _dot(data.wx, log_T) + _dot(data.w, softplus)
        ws = data.w * share
        inv_diff = inv_T - inv_t
        d_r += -w_log_T + _dot(ws, log_ratio)
        d_alpha += (
            -r * _dot(data.w, inv_T) - _dot(data.wx, inv_T) + r * _dot(ws, inv_diff) + _dot(ws * data.x, inv_diff)
        )
        ws_by_x = np.bincount(data.x_index, weights=ws, minlength=len(ux))
        d_a += ws_by_x.sum() / a
        d_b -= _dot(ws_by_x, 1.0 / (b_x + ux - 1.0))

    scale = -1.0 / data.total_weight
    gradient = scale * np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return scale * value, gradient


def _minimize(objective, start: np.ndarray, data, analytic_gradient: bool = True) -> tuple[np.ndarray, bool, int]:
    """L-BFGS-B on log-parameters: the optimum, whether it converged, and the iterations.

    The objective is a mean per customer, so its gradient is comparable across data
    sizes. A line search that stops for want of precision at a point where the
    gradient is below GRADIENT_TOLERANCE is an optimum too. Without an analytic
    gradient (Pareto/NBD: the derivatives of 2F1 in its parameters have no cheap
    closed form) scipy uses forward differences.
    """
    result = optimize.minimize(
        objective,
        start,
        args=(data,),
        jac=True if analytic_gradient else None,
        method="L-BFGS-B",
        bounds=[LOG_BOUNDS] * len(start),
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
    )
    converged = bool(result.success) or float(np.max(np.abs(result.jac))) <= GRADIENT_TOLERANCE
    return result.x, converged, int(result.nit)


def fit_bg_nbd(x, t_x, T, weights=None) -> FitResult:
    """BG/NBD maximum-likelihood fit; x repeat purchases, t_x and T in one time unit."""
    return _fit_bg_family(x, t_x, T, weights, modified=False)


def mbg_nbd_log_likelihood(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood (Batislam, Denizel & Filiztekin 2007), straightforward form.

    As BG/NBD, but a customer may also drop out right after the first purchase, so
    the "dead after the last purchase" term exists for x = 0 too:
    L = B(a, b + x + 1) / B(a, b) G(r + x) alpha^r / (G(r) (alpha + T)^(r + x))
      + B(a + 1, b + x) / B(a, b) G(r + x) alpha^r / (G(r) (alpha + t_x)^(r + x)).
    """
    r, alpha, a, b = (params[name] for name in MBG_NBD_PARAMETERS)
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    alive = special.betaln(a, b + x + 1.0) - (r + x) * np.log(alpha + T)
    dead = special.betaln(a + 1.0, b + x) - (r + x) * np.log(alpha + t_x)
    return common + np.logaddexp(alive, dead)


def _fit_bg_family(x, t_x, T, weights, modified: bool) -> FitResult:
    """BG/NBD (modified=False) or MBG/NBD (modified=True) maximum-likelihood fit."""
    name = "MBG/NBD" if modified else "BG/NBD"
    (ux, ut, uT), counts = compress(x, t_x, T, weights=weights)
    data = _BgNbdData(ux, ut, uT, counts, modified=modified)
    if data.total_weight <= 0:
        raise ValueError(f"{name} fit: no customers.")
    mean_x = _dot(counts, ux) / data.total_weight
    mean_T = _dot(counts, uT) / data.total_weight
    # start: r = 1 with the mean purchase rate, and a Beta(1, 3) dropout
    alpha_start = max(mean_T, 1e-3) / max(mean_x, 1e-3)
    optimum, converged, iterations = _minimize(_bg_nbd_objective, np.log([1.0, alpha_start, 1.0, 3.0]), data)
    params = dict(zip(BG_NBD_PARAMETERS, (float(value) for value in np.exp(optimum))))
    plain = mbg_nbd_log_likelihood if modified else bg_nbd_log_likelihood
    log_likelihood = _dot(counts, plain(params, ux, ut, uT))
    return FitResult(params, log_likelihood, int(round(data.total_weight)), len(ux), converged, iterations)


def fit_mbg_nbd(x, t_x, T, weights=None) -> FitResult:
    """MBG/NBD maximum-likelihood fit; x repeat purchases, t_x and T in one time unit."""
    return _fit_bg_family(x, t_x, T, weights, modified=True)


# --------------------------------------------------------------------------- Pareto/NBD


def pareto_nbd_log_integral(params: dict[str, float], x, t) -> np.ndarray:
    """log of I(t) = integral from t to infinity of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du.

    s (I(t_x) - I(T)) is the dropout part of the Pareto/NBD likelihood (death at some
    u in (t_x, T]). In closed form (Fader & Hardie 2005, "A note on deriving the
    Pareto/NBD model", after an Euler transformation of their 2F1 so that the
    series argument z is in [0, 1) and the function stays bounded or mild):
    alpha >= beta: I = 2F1(1, r + x; r + s + x + 1; (alpha - beta) / (alpha + t))
                       / ((r + s + x) (alpha + t)^(r + x) (beta + t)^s)
    alpha < beta:  I = 2F1(1, s + 1; r + s + x + 1; (beta - alpha) / (beta + t))
                       / ((r + s + x) (alpha + t)^(r + x - 1) (beta + t)^(s + 1))
    alpha = beta gives z = 0 and 2F1 = 1 in either form.
    """
    r, alpha, s, beta = (params[name] for name in PARETO_NBD_PARAMETERS)
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    rx, c = r + x, r + s + x + 1.0
    if alpha >= beta:
        series = special.hyp2f1(1.0, rx, c, (alpha - beta) / (alpha + t))
        return np.log(series) - np.log(c - 1.0) - rx * np.log(alpha + t) - s * np.log(beta + t)
    series = special.hyp2f1(1.0, s + 1.0, c, (beta - alpha) / (beta + t))
    return np.log(series) - np.log(c - 1.0) - (rx - 1.0) * np.log(alpha + t) - (s + 1.0) * np.log(beta + t)


def _pareto_nbd_log_terms(params: dict[str, float], x, log_I_tx, log_I_T, T) -> tuple[np.ndarray, np.ndarray]:
    """log of the "alive at T" and "died in (t_x, T]" terms (common factor left out)."""
    r, alpha, s, beta = (params[name] for name in PARETO_NBD_PARAMETERS)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    with np.errstate(divide="ignore"):  # t_x = T: nothing in between, the dead term is 0
        dead = np.log(s) + log_I_tx + np.log(-np.expm1(np.minimum(log_I_T - log_I_tx, 0.0)))
    return alive, dead


def pareto_nbd_log_likelihood(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Schmittlein, Morrison & Colombo 1987).

    L = G(r + x) alpha^r beta^s / G(r) [(alpha + T)^-(r + x) (beta + T)^-s + s (I(t_x) - I(T))]
    with I of pareto_nbd_log_integral; summed in log space (log-sum-exp).
    """
    r, alpha, s, beta = (params[name] for name in PARETO_NBD_PARAMETERS)
    x, t_x, T = (np.asarray(values, dtype=float) for values in (x, t_x, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive, dead = _pareto_nbd_log_terms(
        params, x, pareto_nbd_log_integral(params, x, t_x), pareto_nbd_log_integral(params, x, T), T
    )
    return common + np.logaddexp(alive, dead)


class _ParetoNbdData:
    """Distinct (x, t_x, T) rows with weights, and the distinct (x, t_x) and (x, T) pairs.

    I(t) depends on (x, t) only: the hypergeometric function is evaluated once per
    distinct pair, which are far fewer than the rows.
    """

    def __init__(self, x, t_x, T, weights):
        x, t_x, T, weights = (np.asarray(values, dtype=float) for values in (x, t_x, T, weights))
        self.x, self.T, self.w = x, T, weights
        self.total_weight = float(weights.sum())
        self.x_values, x_index = _lookup(x)
        self.x_weights = np.bincount(x_index, weights=weights, minlength=len(self.x_values))
        (self.tx_pair_x, self.tx_pair_t), self.tx_index = self._pairs(x, t_x)
        (self.T_pair_x, self.T_pair_t), self.T_index = self._pairs(x, T)

    @staticmethod
    def _pairs(x: np.ndarray, t: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        pairs, inverse = np.unique(np.column_stack([x, t]), axis=0, return_inverse=True)
        return (pairs[:, 0], pairs[:, 1]), inverse.ravel()


def _pareto_nbd_objective(log_params: np.ndarray, data: _ParetoNbdData) -> float:
    """Mean negative log-likelihood per customer (gradient by finite differences)."""
    params = dict(zip(PARETO_NBD_PARAMETERS, np.exp(log_params)))
    r, alpha, s, beta = np.exp(log_params)
    ux, W = data.x_values, data.x_weights
    value = _dot(W, special.gammaln(r + ux)) + data.total_weight * (
        -special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    )
    log_I_tx = pareto_nbd_log_integral(params, data.tx_pair_x, data.tx_pair_t)[data.tx_index]
    log_I_T = pareto_nbd_log_integral(params, data.T_pair_x, data.T_pair_t)[data.T_index]
    alive, dead = _pareto_nbd_log_terms(params, data.x, log_I_tx, log_I_T, data.T)
    value += _dot(data.w, np.logaddexp(alive, dead))
    return -value / data.total_weight


def fit_pareto_nbd(x, t_x, T, weights=None) -> FitResult:
    """Pareto/NBD maximum-likelihood fit; x repeat purchases, t_x and T in one time unit."""
    (ux, ut, uT), counts = compress(x, t_x, T, weights=weights)
    if counts.sum() <= 0:
        raise ValueError("Pareto/NBD fit: no customers.")
    data = _ParetoNbdData(ux, ut, uT, counts)
    mean_x = _dot(counts, ux) / data.total_weight
    mean_T = _dot(counts, uT) / data.total_weight
    # start: r = 1 with the mean purchase rate; s = 1 with a mean lifetime of the mean T
    alpha_start = max(mean_T, 1e-3) / max(mean_x, 1e-3)
    start = np.log([1.0, alpha_start, 1.0, max(mean_T, 1e-3)])
    optimum, converged, iterations = _minimize(_pareto_nbd_objective, start, data, analytic_gradient=False)
    params = dict(zip(PARETO_NBD_PARAMETERS, (float(value) for value in np.exp(optimum))))
    log_likelihood = _dot(counts, pareto_nbd_log_likelihood(params, ux, ut, uT))
    return FitResult(params, log_likelihood, int(round(data.total_weight)), len(ux), converged, iterations)


# --------------------------------------------------------------------------- Gamma-Gamma


def gamma_gamma_log_likelihood(params: dict[str, float], x, m) -> np.ndarray:
    """Per-customer Gamma-Gamma log-density of the mean value m of x purchases (x >= 1)."""
    p, q, v = (params[name] for name in GAMMA_GAMMA_PARAMETERS)
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    return (
        special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
        + q * np.log(v) + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + x * m)
    )


class _GammaGammaData:
    """Distinct (x, m) rows with weights, and the parameter-free parts of the likelihood."""

    def __init__(self, x, m, weights):
        x, m, weights = (np.asarray(values, dtype=float) for values in (x, m, weights))
        self.w, self.wx, self.x_m = weights, weights * x, x * m
        self.total_weight = float(weights.sum())
        self.x_values, x_index = _lookup(x)
        self.x_weights = np.bincount(x_index, weights=weights, minlength=len(self.x_values))
        log_m = np.log(m)
        self.sum_wx_log_xm = _dot(self.wx, log_m + np.log(x))  # sum w x (log m + log x)
        self.sum_w_log_m = _dot(weights, log_m)


def _gamma_gamma_objective(log_params: np.ndarray, data: _GammaGammaData) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood per customer and its gradient in log-parameters.

    sum w [lnG(px + q) - lnG(px) - lnG(q) + q log v + (px - 1) log m + px log x - (px + q) log(v + x m)]
    """
    p, q, v = np.exp(log_params)
    gammaln, digamma = special.gammaln, special.digamma
    ux, W = data.x_values, data.x_weights
    log_v_xm = np.log(v + data.x_m)
    inv_v_xm = 1.0 / (v + data.x_m)
    sum_wx_log = _dot(data.wx, log_v_xm)
    sum_w_log = _dot(data.w, log_v_xm)
    total = data.total_weight
    value = (
        _dot(W, gammaln(p * ux + q) - gammaln(p * ux)) - total * gammaln(q) + q * np.log(v) * total
        + p * data.sum_wx_log_xm - data.sum_w_log_m - p * sum_wx_log - q * sum_w_log
    )
    d_p = _dot(W * ux, digamma(p * ux + q) - digamma(p * ux)) + data.sum_wx_log_xm - sum_wx_log
    d_q = _dot(W, digamma(p * ux + q)) - total * digamma(q) + total * np.log(v) - sum_w_log
    d_v = q / v * total - p * _dot(data.wx, inv_v_xm) - q * _dot(data.w, inv_v_xm)
    scale = -1.0 / total
    return scale * value, scale * np.array([d_p * p, d_q * q, d_v * v])


def fit_gamma_gamma(x, m, weights=None) -> FitResult:
    """Gamma-Gamma maximum-likelihood fit on repeat customers (x >= 1, mean value m > 0)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x > 0) & (m > 0)
    kept_weights = None if weights is None else np.asarray(weights, dtype=float)[keep]
    (ux, um), counts = compress(x[keep], m[keep], weights=kept_weights)
    if counts.sum() <= 0:
        raise ValueError("Gamma-Gamma fit: no repeat customers with a positive value.")
    data = _GammaGammaData(ux, um, counts)
    mean_m = _dot(counts, um) / data.total_weight
    # start: p = 1, q = 2, v = the mean value (then the prior mean spend p v / (q - 1) is the mean)
    optimum, converged, iterations = _minimize(_gamma_gamma_objective, np.log([1.0, 2.0, mean_m]), data)
    params = dict(zip(GAMMA_GAMMA_PARAMETERS, (float(value) for value in np.exp(optimum))))
    log_likelihood = _dot(counts, gamma_gamma_log_likelihood(params, ux, um))
    return FitResult(params, log_likelihood, int(round(data.total_weight)), len(ux), converged, iterations)


# --------------------------------------------------------------------------- the model


def _rows(fit_window: str, model_name: str, fit: FitResult, time_unit: str, unit_days: float) -> list[dict]:
    return [
        {
            "fit_window": fit_window,
            "model": model_name,
            "parameter": name,
            "value": value,
            "log_likelihood": fit.log_likelihood,
            "customers": fit.customers,
            "fitted_rows": fit.fitted_rows,
            "converged": fit.converged,
            "time_unit": time_unit,
            "time_unit_days": unit_days,
        }
        for name, value in fit.params.items()
    ]


PURCHASE_MODEL_FITS = {"bg_nbd": fit_bg_nbd, "mbg_nbd": fit_mbg_nbd, "pareto_nbd": fit_pareto_nbd}


def fit_models(summary: pd.DataFrame, time_unit: str = "week") -> pd.DataFrame:
    """Parameter rows of every purchase model (BG/NBD, MBG/NBD, Pareto/NBD) over the full and
    the calibration window, and of Gamma-Gamma (full window).

    summary: int_customers_clv_summarized (days). A window without customers, or
    without repeat customers for Gamma-Gamma, has no rows.
    """
    unit = str(time_unit).strip().lower()
    unit_days = time_unit_days(unit)
    rows: list[dict] = []
    if len(summary) > 0:
        x = summary["repeat_occasions"].to_numpy(dtype=float)
        t_x = summary["first_to_last_days"].to_numpy(dtype=float) / unit_days
        T = summary["first_to_as_of_days"].to_numpy(dtype=float) / unit_days
        for model_name, fit in PURCHASE_MODEL_FITS.items():
            rows += _rows("full", model_name, fit(x, t_x, T), unit, unit_days)
        if int((x > 0).sum()) >= 2:
            rows += _rows(
                "full", "gamma_gamma",
                fit_gamma_gamma(x, summary["avg_repeat_occasion_value"].to_numpy(dtype=float, na_value=0.0)),
                unit, unit_days,
            )
        calibration = summary[summary["is_in_calibration"].astype(bool)]
        if len(calibration) > 0:
            calibration_x = calibration["calibration_repeat_occasions"].to_numpy(dtype=float)
            calibration_t_x = calibration["calibration_first_to_last_days"].to_numpy(dtype=float) / unit_days
            calibration_T = calibration["calibration_first_to_end_days"].to_numpy(dtype=float) / unit_days
            for model_name, fit in PURCHASE_MODEL_FITS.items():
                rows += _rows(
                    "calibration", model_name, fit(calibration_x, calibration_t_x, calibration_T), unit, unit_days
                )
    frame = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))
    return frame.astype(OUTPUT_COLUMNS)


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit = dbt.config.meta_get("clv_time_unit") or "week"
    # In customer_id order: the table's row order follows the join plan that built it, and
    # sums over the customers (in numpy's vectorised loops) change in the last bits with it.
    summary = dbt.ref("int_customers_clv_summarized").df().sort_values("customer_id", ignore_index=True)
    return fit_models(summary, time_unit)
