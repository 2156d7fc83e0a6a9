"""Predicted CLV (issues 8 and 23): BG/NBD, MBG/NBD, Pareto/NBD + Gamma-Gamma fit, scoring
and holdout model choice, checked independently.

- The fit reproduces the published CDNOW parameters (fixtures/cdnow_sample, from the
  `lifetimes` wheel - see its README) within 1%: BG/NBD r, alpha, a, b (Fader, Hardie
  & Lee 2005), Pareto/NBD r, alpha, s, beta (Fader, Hardie & Lee 2005, table 1 of
  "Counting your customers the easy way") and Gamma-Gamma p, q, v.
- p_alive and expected purchases match the published closed forms, written again
  here in plain Python (a 50-digit Decimal series for the Gauss hypergeometric
  function, no scipy), and a numeric integration that uses only each model's
  definition: over the dropout probability (BG/NBD, MBG/NBD) or the dropout time and
  the dropout rate (Pareto/NBD) - no hypergeometric function at all.
- On the demo data, everything is recomputed from the raw orders CSV with
  reference.py (purchases, occasions) and pandas: the (x, t_x, T) summary, a refit
  (stable across reruns and row orders), every customer's predictions, ranks and
  deciles, the holdout check and the CRM flags.
- Fit and scoring time at one million simulated customers (docs/benchmarks.md).

The model functions are imported from the dbt Python model files with importlib.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import os
import subprocess
import sys
import time
from decimal import Decimal, localcontext
from pathlib import Path
from types import ModuleType

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize

import reference
from conftest import DBT, FIXTURES_DIR, PROJECT_DIR, SEEDS_DIR, run_dbt

CDNOW = FIXTURES_DIR / "cdnow_sample" / "cdnow_customers_summary_with_transactions.csv"
PUBLISHED_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BG_NBD_LOG_LIKELIHOOD = -9582.4
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
PUBLISHED_PARETO_NBD = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
PUBLISHED_PARETO_NBD_LOG_LIKELIHOOD = -9595.0
# MBG/NBD on the same sample as estimated by the R package BTYDplus (M. Platzer), the
# reference the lifetimes test suite checks its ModifiedBetaGeoFitter against.
BTYDPLUS_MBG_NBD = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PURCHASE_MODELS = ("bg_nbd", "mbg_nbd", "pareto_nbd")
CALIBRATION_DAYS = 182  # default calibration end: as_of_date - 182 days
DEFAULT_DISCOUNT_RATE = 0.1
FLAG_VARS = {"high_p_alive": 0.7, "low_p_alive": 0.3, "top_share": 0.2, "low_monetary_share": 0.5}
CLV_MODELS = ["int_clv_models_fitted", "int_clv_customers_scored", "int_clv_holdout_compared",
              "int_clv_model_choice", "customer_clv", "clv_model_params", "clv_holdout_validation",
              "customer_value_flags"]


def load_model_module(relative_path: str) -> ModuleType:
    """A dbt Python model file (or a script) as a module (a model's model() is never called here)."""
    path = PROJECT_DIR / relative_path
    name = "clv_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fitted = load_model_module("models/intermediate/clv/int_clv_models_fitted.py")
scored = load_model_module("models/intermediate/clv/int_clv_customers_scored.py")
bench_clv = load_model_module("scripts/bench_clv.py")


# ------------------------------------------------------------ independent formulas


def ref_p_alive(params: dict[str, float], x: float, t_x: float, T: float) -> float:
    """FHL 2005 equation (13), in plain floats."""
    if x == 0:
        return 1.0
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    return 1.0 / (1.0 + a / (b + x - 1.0) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def ref_expected_purchases(params: dict[str, float], t: float, x: float, t_x: float, T: float) -> float:
    """FHL 2005 equation (10) with a 50-digit Decimal series for 2F1 (no scipy)."""
    with localcontext() as context:
        context.prec = 50
        r, alpha, a, b = (Decimal(repr(params[name])) for name in ("r", "alpha", "a", "b"))
        x_, t_x_, T_, t_ = (Decimal(repr(float(value))) for value in (x, t_x, T, t))
        first, second, third = r + x_, b + x_, a + b + x_ - 1
        z = t_ / (alpha + T_ + t_)
        term, total, n = Decimal(1), Decimal(1), 0
        while True:
            term = term * (first + n) * (second + n) / ((third + n) * (n + 1)) * z
            total += term
            n += 1
            if n > 10 and abs(term) < Decimal("1e-45") * abs(total):
                break
        bracket = 1 - ((alpha + T_) / (alpha + T_ + t_)) ** first * total
        alive = Decimal(1)
        if x > 0:
            alive = 1 / (1 + a / (b + x_ - 1) * ((alpha + T_) / (alpha + t_x_)) ** first)
        return float(alive * (a + b + x_ - 1) / (a - 1) * bracket)


def ref_expected_purchases_float(params: dict[str, float], t: float, x: float, t_x: float, T: float) -> float:
    """The same closed form with a float series (fast enough for every demo customer)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    first, second, third = r + x, b + x, a + b + x - 1.0
    z = t / (alpha + T + t)
    term = total = 1.0
    n = 0
    while True:
        term *= (first + n) * (second + n) / ((third + n) * (n + 1)) * z
        total += term
        n += 1
        if n > 10 and abs(term) < 1e-18 * abs(total):
            break
    bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** first * total
    return ref_p_alive(params, x, t_x, T) * (a + b + x - 1.0) / (a - 1.0) * bracket


def integrated_p_alive_and_expectation(
    params: dict[str, float], t: float, x: int, t_x: float, T: float, modified: bool = False
) -> tuple[float, float]:
    """P(alive) and E[Y(t)] by integrating over the dropout probability p numerically.

    From the model's definition: given lambda and p, the likelihood of (x, t_x, T) is
    (1-p)^x lambda^x e^(-lambda T) (alive at T) + [x > 0] p (1-p)^(x-1) lambda^x
    e^(-lambda t_x) (died after the last purchase), and an alive customer makes
    (1 - e^(-lambda p t)) / p purchases in the next t on average. The Gamma(r, alpha)
    integrals over lambda are elementary, e.g. E[lambda^x e^(-lambda s)] is
    proportional to (alpha + s)^-(r + x); the Beta(a, b) integral over p - where the
    closed form needs the Gauss hypergeometric function - is done by quadrature
    (weight p^(a-1) (1-p)^(b-1)). Every term is divided by (alpha + T)^-(r + x).
    MBG/NBD (modified): the coin is also tossed at the first purchase, so alive is
    (1-p)^(x+1) and "died after the last purchase" p (1-p)^x, for x = 0 too.
    """
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    power = r + x
    extra = 1 if modified else 0
    can_die = x > 0 or modified
    dead_ratio = ((alpha + T) / (alpha + t_x)) ** power if can_die else 0.0

    def alive(p: float) -> float:
        return (1.0 - p) ** (x + extra)

    def dead(p: float) -> float:
        return p * (1.0 - p) ** (x - 1 + extra) * dead_ratio if can_die else 0.0

    def purchases_if_alive(p: float) -> float:
        # (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p, finite as p -> 0
        if p == 0.0:
            return power * t / (alpha + T)
        return -math.expm1(-power * math.log1p(p * t / (alpha + T))) / p

    def integral(function) -> float:
        value, _ = integrate.quad(
            function, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b - 1.0), epsabs=0.0, epsrel=1e-12, limit=200
        )
        return value

    evidence = integral(lambda p: alive(p) + dead(p))
    p_alive = integral(alive) / evidence
    expected = integral(lambda p: alive(p) * purchases_if_alive(p)) / evidence
    return p_alive, expected


def ref_mbg_p_alive(params: dict[str, float], x: float, t_x: float, T: float) -> float:
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD's formula with b + x, for every x."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    return 1.0 / (1.0 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def ref_mbg_expected_purchases(params: dict[str, float], t: float, x: float, t_x: float, T: float) -> float:
    """MBG/NBD E[Y(t)]: (a + b + x) / (a - 1) [1 - ((alpha + T) / (alpha + T + t))^(r + x)
    2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))] P(alive), with a float series for 2F1."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    first, second, third = r + x, b + x + 1.0, a + b + x
    z = t / (alpha + T + t)
    term = total = 1.0
    n = 0
    while True:
        term *= (first + n) * (second + n) / ((third + n) * (n + 1)) * z
        total += term
        n += 1
        if n > 10 and abs(term) < 1e-18 * abs(total):
            break
    bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** first * total
    return ref_mbg_p_alive(params, x, t_x, T) * (a + b + x) / (a - 1.0) * bracket


def integrated_pareto_nbd(
    params: dict[str, float], t: float, x: int, t_x: float, T: float
) -> tuple[float, float, float]:
    """Pareto/NBD log-likelihood, P(alive) and E[Y(t)] from the model's definition, by quadrature.

    Integrating lambda ~ Gamma(r, alpha) out, a customer who dies at tau has likelihood
    G(r + x) alpha^r / G(r) (alpha + min(tau, T))^-(r + x) for tau >= t_x; tau is
    Lomax: density s beta^s (beta + tau)^-(s + 1), survival (beta / (beta + T))^s. So
    L = G(r + x) alpha^r / G(r) [S(T) (alpha + T)^-(r + x) + integral over (t_x, T] of
    f(tau) (alpha + tau)^-(r + x)] - the integral by quadrature, no 2F1. Given alive at
    T, lambda ~ Gamma(r + x, alpha + T) and mu ~ Gamma(s, beta + T) independently, and
    E[Y(t) | lambda, mu] = lambda / mu (1 - e^(-mu t)): its mean over mu by quadrature.
    """
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    power = r + x
    # everything relative to (alpha + T)^-(r + x) (beta + T)^-s beta^s
    alive = 1.0

    def dead_density(tau: float) -> float:
        return s * ((beta + T) / (beta + tau)) ** s / (beta + tau) * ((alpha + T) / (alpha + tau)) ** power

    dead, _ = integrate.quad(dead_density, t_x, T, epsabs=0.0, epsrel=1e-13, limit=500) if T > t_x else (0.0, 0.0)
    log_likelihood = (
        math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
        - power * math.log(alpha + T) - s * math.log(beta + T) + math.log(alive + dead)
    )
    p_alive = alive / (alive + dead)
    shape, rate = s, beta + T

    def lifetime_purchases(mu: float) -> float:  # (1 - e^(-mu t)) / mu, weighted by the Gamma(s, beta + T) density
        value = t if mu == 0.0 else -math.expm1(-mu * t) / mu
        return value * math.exp(shape * math.log(rate) - math.lgamma(shape) + (shape - 1.0) * math.log(mu) - rate * mu)

    mean_lifetime, _ = integrate.quad(lifetime_purchases, 0.0, np.inf, epsabs=0.0, epsrel=1e-12, limit=500)
    return log_likelihood, p_alive, p_alive * power / (alpha + T) * mean_lifetime


def ref_pareto_p_alive(params: dict[str, float], x: int, t_x: float, T: float) -> float:
    """P(alive) of integrated_pareto_nbd alone (one quadrature)."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    if T <= t_x:
        return 1.0
    dead, _ = integrate.quad(
        lambda tau: s * ((beta + T) / (beta + tau)) ** s / (beta + tau) * ((alpha + T) / (alpha + tau)) ** (r + x),
        t_x, T, epsabs=0.0, epsrel=1e-12, limit=200,
    )
    return 1.0 / (1.0 + dead)


def ref_model_predictions(model: str, params: dict[str, float], horizons: list[float], x: int, t_x: float,
                          T: float) -> tuple[float, list[float]]:
    """P(alive) and E[Y(t)] for each horizon under model, from the independent formulas above."""
    if model == "bg_nbd":
        return ref_p_alive(params, x, t_x, T), [ref_expected_purchases_float(params, t, x, t_x, T) for t in horizons]
    if model == "mbg_nbd":
        return ref_mbg_p_alive(params, x, t_x, T), [ref_mbg_expected_purchases(params, t, x, t_x, T) for t in horizons]
    alive = ref_pareto_p_alive(params, x, t_x, T)
    return alive, [ref_pareto_expected_purchases(params, t, x, t_x, T, alive) for t in horizons]


def ref_pareto_expected_purchases(params: dict[str, float], t: float, x: float, t_x: float, T: float,
                                  p_alive: float) -> float:
    """Pareto/NBD E[Y(t)] given P(alive) (s != 1):
    P(alive) (r + x) (beta + T) / ((alpha + T) (s - 1)) [1 - ((beta + T) / (beta + T + t))^(s - 1)]."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    lifetime = (1.0 - ((beta + T) / (beta + T + t)) ** (s - 1.0)) / (s - 1.0)
    return p_alive * (r + x) * (beta + T) / (alpha + T) * lifetime


def ref_days_to_next_order(r: float, alpha: float, x: float, T: float, unit_days: float) -> tuple[float, str]:
    """Mean of the Lomax(r + x, alpha + T) wait if finite, else its median, in days."""
    shape, scale = r + x, alpha + T
    if shape > 1.0:
        return scale / (shape - 1.0) * unit_days, "mean"
    return scale * (2.0 ** (1.0 / shape) - 1.0) * unit_days, "median"


def ref_gamma_gamma_expected_value(params: dict[str, float], x: float, m: float) -> float:
    """Fader, Hardie & Lee 2005 (RFM and CLV), equation (5): a weighted mean of m and the population mean."""
    p, q, v = params["p"], params["q"], params["v"]
    population_mean = p * v / (q - 1.0)
    if x == 0:
        return population_mean
    weight = p * x / (p * x + q - 1.0)
    return (1.0 - weight) * population_mean + weight * m


def ref_clv(bg: dict[str, float], aov: float, x: float, t_x: float, T: float, unit_days: float, rate: float,
            cumulative_purchases: list[float] | None = None) -> float:
    """12 monthly steps of 365/12 days, each step's expected purchases discounted at its end.

    cumulative_purchases: E[Y] at the 12 step ends (default: BG/NBD with bg).
    """
    total, previous = 0.0, 0.0
    for step in range(1, 13):
        days = step * 365.0 / 12
        if cumulative_purchases is None:
            cumulative = ref_expected_purchases_float(bg, days / unit_days, x, t_x, T)
        else:
            cumulative = cumulative_purchases[step - 1]
        total += aov * (cumulative - previous) / (1.0 + rate) ** (days / 365.0)
        previous = cumulative
    return total


def relative_error(actual: float, expected: float) -> float:
    return abs(actual - expected) / max(abs(expected), 1e-300)


# ------------------------------------------------------------------ CDNOW fixture


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def test_cdnow_fixture_is_the_published_sample(cdnow: pd.DataFrame) -> None:
    assert len(cdnow) == 2357
    assert int((cdnow["x"] > 0).sum()) == 946
    assert list(cdnow.columns) == ["ID", "x", "t_x", "T", "zbar"]


def test_cdnow_bg_nbd_reproduces_the_published_parameters(cdnow: pd.DataFrame) -> None:
    fit = fitted.fit_bg_nbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert fit.converged
    assert fit.customers == 2357
    for name, published in PUBLISHED_BG_NBD.items():
        assert relative_error(fit.params[name], published) < 0.01, (name, fit.params[name], published)
    assert abs(fit.log_likelihood - PUBLISHED_BG_NBD_LOG_LIKELIHOOD) < 0.1, fit.log_likelihood


def test_cdnow_gamma_gamma_reproduces_the_published_parameters(cdnow: pd.DataFrame) -> None:
    fit = fitted.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fit.converged
    assert fit.customers == 946  # repeat customers only
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert relative_error(fit.params[name], published) < 0.01, (name, fit.params[name], published)


def test_cdnow_pareto_nbd_reproduces_the_published_parameters(cdnow: pd.DataFrame) -> None:
    fit = fitted.fit_pareto_nbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert fit.converged
    for name, published in PUBLISHED_PARETO_NBD.items():
        assert relative_error(fit.params[name], published) < 0.01, (name, fit.params[name], published)
    assert abs(fit.log_likelihood - PUBLISHED_PARETO_NBD_LOG_LIKELIHOOD) < 0.1, fit.log_likelihood


def test_cdnow_mbg_nbd_fit_is_a_maximum(cdnow: pd.DataFrame) -> None:
    """MBG/NBD on CDNOW gives BTYDplus's estimates; its optimum beats BG/NBD's parameters plugged into it.

    With one-time buyers allowed to be dead, the maximised likelihood is at least as
    high as the MBG/NBD likelihood at any other point, e.g. the BG/NBD optimum, and the
    plain per-customer formula gives the same total as the fast objective.
    """
    fit = fitted.fit_mbg_nbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert fit.converged and fit.customers == 2357
    for name, published in BTYDPLUS_MBG_NBD.items():
        assert relative_error(fit.params[name], published) < 0.01, (name, fit.params[name], published)
    bg = fitted.fit_bg_nbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    at_bg = fitted.mbg_nbd_log_likelihood(bg.params, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
    assert fit.log_likelihood > at_bg
    assert fit.log_likelihood == pytest.approx(
        fitted.mbg_nbd_log_likelihood(fit.params, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum(), rel=1e-12
    )
    # a one-time buyer is not certainly alive
    assert scored.mbg_nbd_p_alive(fit.params, [0], [0.0], [38.0])[0] < 1.0


def test_fit_models_reads_days_in_any_time_unit(cdnow: pd.DataFrame) -> None:
    """The dbt entry point on a days summary: weeks give the published fit; days scale alpha by 7.

    Rescaling time multiplies the purchase-time densities by 1/7 each: r, a, b do not
    change, alpha is 7 times larger and the log-likelihood is lower by sum(x) log 7.
    """
    summary = pd.DataFrame(
        {
            "repeat_occasions": cdnow["x"],
            "first_to_last_days": cdnow["t_x"] * 7,
            "first_to_as_of_days": cdnow["T"] * 7,
            "avg_repeat_occasion_value": cdnow["zbar"].where(cdnow["x"] > 0),
            "is_in_calibration": False,
        }
    )
    weeks = fitted.fit_models(summary, "week")
    days = fitted.fit_models(summary, "day")
    full = weeks[weeks["fit_window"] == "full"].set_index(["model", "parameter"])["value"]
    for name, published in PUBLISHED_BG_NBD.items():
        assert relative_error(full[("bg_nbd", name)], published) < 0.01
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert relative_error(full[("gamma_gamma", name)], published) < 0.01
    in_days = days[days["fit_window"] == "full"].set_index(["model", "parameter"])["value"]
    for name in ("r", "a", "b"):
        assert relative_error(in_days[("bg_nbd", name)], full[("bg_nbd", name)]) < 1e-5
    assert relative_error(in_days[("bg_nbd", "alpha")], 7 * full[("bg_nbd", "alpha")]) < 1e-5
    log_likelihoods = {
        unit: float(frame.loc[frame["model"] == "bg_nbd", "log_likelihood"].iloc[0])
        for unit, frame in (("week", weeks), ("day", days))
    }
    assert abs(log_likelihoods["day"] - (log_likelihoods["week"] - cdnow["x"].sum() * math.log(7))) < 1e-4
    assert set(weeks["time_unit"]) == {"week"} and set(days["time_unit_days"]) == {1.0}
    assert "calibration" not in set(weeks["fit_window"])  # nobody in the calibration window


def test_weights_and_row_order_do_not_change_the_fit(cdnow: pd.DataFrame) -> None:
    """Distinct rows weighted by their counts = one row per customer, in any order."""
    per_customer = fitted.fit_bg_nbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    grouped = cdnow.groupby(["x", "t_x", "T"], as_index=False).size()
    weighted = fitted.fit_bg_nbd(grouped["x"], grouped["t_x"], grouped["T"], weights=grouped["size"])
    shuffled = cdnow.sample(frac=1.0, random_state=7)
    reordered = fitted.fit_bg_nbd(shuffled["x"], shuffled["t_x"], shuffled["T"])
    assert weighted.fitted_rows == len(grouped) < len(cdnow)
    for other in (weighted, reordered):
        for name in PUBLISHED_BG_NBD:
            assert relative_error(other.params[name], per_customer.params[name]) < 1e-9
        assert other.log_likelihood == pytest.approx(per_customer.log_likelihood, rel=1e-12)


def test_likelihood_and_gradients(cdnow: pd.DataFrame) -> None:
    """The fast objectives equal the plain per-customer log-likelihoods; gradients match finite differences."""
    (ux, ut, uT), counts = fitted.compress(cdnow["x"], cdnow["t_x"], cdnow["T"])
    bg_data = fitted._BgNbdData(ux, ut, uT, counts)
    repeat = cdnow[cdnow["x"] > 0]
    gg_data = fitted._GammaGammaData(repeat["x"], repeat["zbar"], np.ones(len(repeat)))
    mbg_data = fitted._BgNbdData(ux, ut, uT, counts, modified=True)
    bg_family = (
        (fitted.BG_NBD_PARAMETERS, fitted.bg_nbd_log_likelihood, bg_data,
         ([0.5, 3.0, 0.8, 2.0], [2.0, 10.0, 1.5, 5.0], [0.243, 4.414, 0.793, 2.426])),
        (fitted.MBG_NBD_PARAMETERS, fitted.mbg_nbd_log_likelihood, mbg_data,
         ([0.5, 3.0, 0.8, 2.0], [2.0, 10.0, 1.5, 5.0], [0.525, 6.18, 0.89, 1.61])),
    )
    for names, log_likelihood, data, value_sets in bg_family:
        for values in value_sets:
            params = dict(zip(names, values))
            plain = log_likelihood(params, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
            value, _ = fitted._bg_nbd_objective(np.log(values), data)
            assert -value * len(cdnow) == pytest.approx(plain, rel=1e-12)
            error = optimize.check_grad(
                lambda point, data=data: fitted._bg_nbd_objective(point, data)[0],
                lambda point, data=data: fitted._bg_nbd_objective(point, data)[1],
                np.log(values),
            )
            assert error < 1e-5, error
    pareto_data = fitted._ParetoNbdData(ux, ut, uT, counts)
    for values in ([0.553, 10.58, 0.606, 11.67], [1.5, 3.0, 2.0, 40.0], [0.3, 30.0, 0.8, 2.0]):  # alpha < and > beta
        params = dict(zip(fitted.PARETO_NBD_PARAMETERS, values))
        plain = fitted.pareto_nbd_log_likelihood(params, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
        value = fitted._pareto_nbd_objective(np.log(values), pareto_data)
        assert -value * len(cdnow) == pytest.approx(plain, rel=1e-12)
    for values in ([2.0, 3.0, 10.0], [6.25, 3.74, 15.44]):
        params = dict(zip(fitted.GAMMA_GAMMA_PARAMETERS, values))
        plain = fitted.gamma_gamma_log_likelihood(params, repeat["x"], repeat["zbar"]).sum()
        value, _ = fitted._gamma_gamma_objective(np.log(values), gg_data)
        assert -value * len(repeat) == pytest.approx(plain, rel=1e-12)
        error = optimize.check_grad(
            lambda point: fitted._gamma_gamma_objective(point, gg_data)[0],
            lambda point: fitted._gamma_gamma_objective(point, gg_data)[1],
            np.log(values),
        )
        assert error < 1e-4, error


# ------------------------------------------------------------------- closed forms


HAND_CASES = [
    # x, t_x, T, t (weeks)
    (0, 0.0, 38.86, 39.0),
    (0, 0.0, 0.0, 52.0),  # first purchase on as_of_date
    (1, 1.71, 38.86, 39.0),
    (2, 30.43, 38.86, 39.0),  # FHL 2005: E[Y(39)] = 1.226
    (7, 35.0, 38.0, 12.857),
    (7, 5.0, 38.0, 52.0),  # many purchases long ago: probably gone
    (25, 70.0, 71.0, 52.14),
    (60, 100.0, 100.5, 52.14),
]


def test_published_hand_case() -> None:
    """FHL 2005, section 4: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks."""
    expected = scored.bg_nbd_expected_purchases(PUBLISHED_BG_NBD, 39.0, [2], [30.43], [38.86])[0]
    assert round(expected, 3) == 1.226
    assert ref_expected_purchases(PUBLISHED_BG_NBD, 39.0, 2, 30.43, 38.86) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("x, t_x, T, t", HAND_CASES)
def test_p_alive_and_expected_purchases_match_the_closed_forms(x: int, t_x: float, T: float, t: float) -> None:
    for params in (PUBLISHED_BG_NBD, {"r": 1.3, "alpha": 6.0, "a": 2.2, "b": 5.5}):
        p_alive = scored.bg_nbd_p_alive(params, [x], [t_x], [T])[0]
        expected = scored.bg_nbd_expected_purchases(params, t, [x], [t_x], [T])[0]
        assert p_alive == pytest.approx(ref_p_alive(params, x, t_x, T), rel=1e-12, abs=1e-300)
        assert expected == pytest.approx(ref_expected_purchases(params, t, x, t_x, T), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("params", [PUBLISHED_BG_NBD, {"r": 1.3, "alpha": 6.0, "a": 2.2, "b": 5.5}])
@pytest.mark.parametrize(
    "x, t_x, T, t", [(0, 0.0, 20.0, 26.0), (2, 30.43, 38.86, 39.0), (5, 10.0, 30.0, 13.0), (40, 60.0, 61.0, 52.0)]
)
def test_closed_forms_match_numeric_integration(
    params: dict[str, float], x: int, t_x: float, T: float, t: float
) -> None:
    p_alive, expected = integrated_p_alive_and_expectation(params, t, x, t_x, T)
    assert scored.bg_nbd_p_alive(params, [x], [t_x], [T])[0] == pytest.approx(p_alive, rel=1e-8)
    assert scored.bg_nbd_expected_purchases(params, t, [x], [t_x], [T])[0] == pytest.approx(expected, rel=1e-8)


MBG_PARAMS = [{"r": 0.525, "alpha": 6.18, "a": 0.89, "b": 1.61}, {"r": 1.3, "alpha": 6.0, "a": 2.2, "b": 5.5}]
PARETO_PARAMS = [
    PUBLISHED_PARETO_NBD,  # alpha < beta
    {"r": 0.3, "alpha": 30.0, "s": 0.8, "beta": 2.0},  # alpha > beta
    {"r": 1.4, "alpha": 8.0, "s": 1.7, "beta": 8.0},  # alpha = beta
    {"r": 2.5, "alpha": 4.0, "s": 1.0, "beta": 20.0},  # s = 1: the log limit of E[Y(t)]
]


@pytest.mark.parametrize("x, t_x, T, t", HAND_CASES)
def test_mbg_nbd_p_alive_and_expected_purchases_match_the_closed_forms(x: int, t_x: float, T: float, t: float) -> None:
    for params in MBG_PARAMS:
        p_alive = scored.mbg_nbd_p_alive(params, [x], [t_x], [T])[0]
        expected = scored.mbg_nbd_expected_purchases(params, t, [x], [t_x], [T])[0]
        assert p_alive == pytest.approx(ref_mbg_p_alive(params, x, t_x, T), rel=1e-12, abs=1e-300)
        assert expected == pytest.approx(ref_mbg_expected_purchases(params, t, x, t_x, T), rel=1e-9, abs=1e-15)
        if T > 0:
            assert p_alive < 1.0  # a one-time buyer too
        integrated_alive, integrated_expected = integrated_p_alive_and_expectation(params, t, x, t_x, T, modified=True)
        assert p_alive == pytest.approx(integrated_alive, rel=1e-8)
        assert expected == pytest.approx(integrated_expected, rel=1e-8, abs=1e-14)


@pytest.mark.parametrize("params", PARETO_PARAMS)
@pytest.mark.parametrize("x, t_x, T, t", HAND_CASES)
def test_pareto_nbd_likelihood_p_alive_and_expected_purchases(
    params: dict[str, float], x: int, t_x: float, T: float, t: float
) -> None:
    """Both copies of the closed forms against quadrature over the model's definition."""
    log_likelihood, p_alive, expected = integrated_pareto_nbd(params, t, x, t_x, T)
    assert fitted.pareto_nbd_log_likelihood(params, [x], [t_x], [T])[0] == pytest.approx(log_likelihood, rel=1e-9)
    np.testing.assert_allclose(
        scored.pareto_nbd_log_integral(params, [x, x], [t_x, T]),
        fitted.pareto_nbd_log_integral(params, [x, x], [t_x, T]), rtol=1e-15,
    )
    built_alive = scored.pareto_nbd_p_alive(params, [x], [t_x], [T])[0]
    built_expected = scored.expected_purchases("pareto_nbd", params, t, [x], [t_x], [T])[0]
    assert built_alive == pytest.approx(p_alive, rel=1e-8)
    assert built_expected == pytest.approx(expected, rel=1e-8)
    if params["s"] != 1.0:
        assert built_expected == pytest.approx(ref_pareto_expected_purchases(params, t, x, t_x, T, p_alive), rel=1e-8)
    if T > t_x:
        assert built_alive < 1.0


def test_pareto_nbd_extreme_rows_stay_finite() -> None:
    """Many purchases, tiny or huge alpha / beta ratios: finite log-likelihoods, p_alive in [0, 1]."""
    x = np.array([0, 0, 1, 50, 300, 300])
    t_x = np.array([0.0, 0.0, 0.5, 10.0, 100.0, 199.0])
    T = np.array([0.0, 500.0, 300.0, 200.0, 200.0, 200.0])
    for params in (
        {"r": 0.01, "alpha": 1e-4, "s": 5.0, "beta": 2e4},
        {"r": 50.0, "alpha": 2e4, "s": 0.01, "beta": 1e-4},
        PUBLISHED_PARETO_NBD,
    ):
        assert np.isfinite(fitted.pareto_nbd_log_likelihood(params, x, t_x, T)).all(), params
        alive = scored.pareto_nbd_p_alive(params, x, t_x, T)
        assert ((alive >= 0) & (alive <= 1)).all(), (params, alive)
    assert scored.pareto_nbd_p_alive(PUBLISHED_PARETO_NBD, [3], [20.0], [20.0])[0] == 1.0  # bought on as_of_date


@pytest.mark.parametrize("x, T", [(0, 10.0), (0, 100.0), (1, 38.0), (3, 20.0), (60, 100.0)])
@pytest.mark.parametrize("r, alpha", [(0.243, 4.414), (1.3, 6.0), (0.553, 10.58)])
def test_days_to_next_order(x: int, T: float, r: float, alpha: float) -> None:
    """Lomax(r + x, alpha + T) wait: the mean where finite (checked as E[1/lambda] by quadrature), else the median."""
    days, estimate = scored.days_to_next_order({"r": r, "alpha": alpha}, [x], [T], 7.0)
    expected_days, expected_estimate = ref_days_to_next_order(r, alpha, x, T, 7.0)
    assert estimate[0] == expected_estimate
    assert days[0] == pytest.approx(expected_days, rel=1e-12)
    shape, rate = r + x, alpha + T
    if expected_estimate == "mean":  # E[W] = integral of P(W > w) = E[exp(-lambda w)], lambda ~ Gamma(shape, rate)
        value, _ = integrate.quad(
            lambda w: (rate / (rate + w)) ** shape, 0.0, np.inf, epsabs=0.0, epsrel=1e-11, limit=500
        )
        assert days[0] == pytest.approx(value * 7.0, rel=1e-7)
    else:  # P(W > median) = E[exp(-lambda w)] = 1/2
        w = days[0] / 7.0
        assert (rate / (rate + w)) ** shape == pytest.approx(0.5, rel=1e-12)
    far, _ = scored.days_to_next_order({"r": 0.01, "alpha": 100.0}, [0], [100.0], 7.0)
    assert np.isnan(far[0])  # beyond 100 years


def test_gamma_gamma_expected_value() -> None:
    params = PUBLISHED_GAMMA_GAMMA
    cases = [(0, 0.0), (1, 11.77), (2, 22.35), (10, 45.0), (50, 5.0)]
    values = scored.gamma_gamma_expected_value(params, [x for x, _ in cases], [m for _, m in cases])
    for (x, m), value in zip(cases, values):
        assert value == pytest.approx(ref_gamma_gamma_expected_value(params, x, m), rel=1e-12)
    population_mean = params["p"] * params["v"] / (params["q"] - 1)
    assert values[0] == pytest.approx(population_mean)  # 35.2 dollars on CDNOW
    assert np.isnan(scored.gamma_gamma_expected_value({"p": 1.0, "q": 0.9, "v": 1.0}, [0], [0.0])[0])


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25])
def test_clv_is_discounted_expected_spend(rate: float) -> None:
    bg, unit_days = PUBLISHED_BG_NBD, 7.0
    cases = [(0, 0.0, 38.86, 35.0), (2, 30.43, 38.86, 22.35), (7, 5.0, 38.0, 40.0), (25, 70.0, 71.0, 12.5)]
    x, t_x, T, aov = (np.array(column, dtype=float) for column in zip(*cases))
    clv = scored.discounted_clv(bg, aov, x, t_x, T, unit_days, rate)
    for index, case in enumerate(cases):
        assert clv[index] == pytest.approx(ref_clv(bg, case[3], *case[:3], unit_days, rate), rel=1e-9)
    step_horizons = [step * 365.0 / 12 / unit_days for step in range(1, 13)]
    for model, params in (("mbg_nbd", MBG_PARAMS[0]), ("pareto_nbd", PUBLISHED_PARETO_NBD)):
        model_clv = scored.discounted_clv(params, aov, x, t_x, T, unit_days, rate, model_name=model)
        for index, case in enumerate(cases):
            cumulative = ref_model_predictions(model, params, step_horizons, *case[:3])[1]
            expected = ref_clv(params, case[3], *case[:3], unit_days, rate, cumulative)
            assert model_clv[index] == pytest.approx(expected, rel=1e-9), model
    if rate == 0.0:
        one_year = scored.bg_nbd_expected_purchases(bg, 365.0 / unit_days, x, t_x, T)
        np.testing.assert_allclose(clv, aov * one_year, rtol=1e-12)


def test_empty_and_invalid_inputs() -> None:
    columns = ["customer_id", "repeat_occasions", "first_to_last_days", "first_to_as_of_days",
               "avg_repeat_occasion_value", "is_in_calibration", "calibration_repeat_occasions",
               "calibration_first_to_last_days", "calibration_first_to_end_days", "holdout_days"]
    empty = pd.DataFrame(columns=columns)
    params = fitted.fit_models(empty, "week")
    assert params.empty and list(params.columns) == list(fitted.OUTPUT_COLUMNS)
    customers = scored.score_customers(empty, params)
    assert customers.empty and list(customers.columns) == list(scored.OUTPUT_COLUMNS)
    with pytest.raises(ValueError, match="clv_time_unit"):
        fitted.fit_models(empty, "fortnight")
    with pytest.raises(ValueError, match="clv_annual_discount_rate"):
        scored.score_customers(empty, params, -0.1)


# --------------------------------------------------------------- one million customers


def simulate_bg_nbd_summary(customers: int, seed: int = 20240601) -> pd.DataFrame:
    """Customers drawn from BG/NBD (CDNOW parameters) and Gamma-Gamma (scripts/bench_clv.py), as a days summary."""
    return bench_clv.simulate_summary(customers, seed)


def test_one_million_customers_fit_in_seconds() -> None:
    """Fit time at 1M customers, all models (scripts/bench_clv.py times each); BG/NBD's parameters are recovered."""
    summary = simulate_bg_nbd_summary(1_000_000)
    started = time.perf_counter()
    params = fitted.fit_models(summary, "week")
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    customers = scored.score_customers(summary, params, DEFAULT_DISCOUNT_RATE)
    score_seconds = time.perf_counter() - started
    rows = params.set_index(["model", "parameter"])
    print(
        f"\n1,000,000 customers: fit {fit_seconds:.2f} s "
        f"({int(rows.loc[('bg_nbd', 'r'), 'fitted_rows']):,} distinct BG/NBD rows, "
        f"{int(rows.loc[('gamma_gamma', 'p'), 'customers']):,} repeat customers), scoring {score_seconds:.2f} s"
    )
    assert params["converged"].all()
    for name, value in PUBLISHED_BG_NBD.items():
        assert relative_error(rows.loc[("bg_nbd", name), "value"], value) < 0.03, name
    for name, value in PUBLISHED_GAMMA_GAMMA.items():
        assert relative_error(rows.loc[("gamma_gamma", name), "value"], value) < 0.05, name
    assert len(customers) == 3 * 1_000_000 and customers["p_alive"].between(0, 1).all()
    assert set(customers["model"]) == set(PURCHASE_MODELS)
    assert fit_seconds < 60, fit_seconds


# ------------------------------------------------------------------------ demo data


def reference_summary(raw_orders: Path, as_of: dt.date, calibration_end: dt.date) -> pd.DataFrame:
    """int_customers_clv_summarized recomputed in pandas from the raw orders (days)."""
    kept = reference.clean_orders(reference.read_raw_csv(raw_orders))
    bought, as_of = reference.purchases(kept, as_of)
    occasions = reference.occasions(bought)
    rows = []
    for customer_id, group in occasions.groupby("customer_id"):
        dates = sorted(group["purchase_date"])
        values = group.sort_values("purchase_date")["net_amount"].tolist()  # Decimal: sums are exact
        first, last, n = dates[0], dates[-1], len(dates)
        calibration_dates = [day for day in dates if day <= calibration_end]
        in_calibration = first <= calibration_end
        rows.append(
            {
                "customer_id": customer_id,
                "repeat_occasions": n - 1,
                "first_to_last_days": (last - first).days,
                "first_to_as_of_days": (as_of - first).days,
                "avg_repeat_occasion_value": float(sum(values[1:])) / (n - 1) if n > 1 else np.nan,
                "is_in_calibration": in_calibration,
                "calibration_repeat_occasions": len(calibration_dates) - 1 if in_calibration else np.nan,
                "calibration_first_to_last_days": (
                    (calibration_dates[-1] - first).days if in_calibration else np.nan
                ),
                "calibration_first_to_end_days": (calibration_end - first).days if in_calibration else np.nan,
                "holdout_occasions": n - len(calibration_dates) if in_calibration else np.nan,
                "holdout_days": (as_of - calibration_end).days,
                "monetary": float(sum(values)),  # exact to the cent, so ties are ties
            }
        )
    return pd.DataFrame(rows).sort_values("customer_id").reset_index(drop=True)


def warehouse_has_clv(connection: duckdb.DuckDBPyConnection) -> bool:
    tables = {row[0] for row in connection.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()}
    return {"customer_clv", "clv_model_params", "clv_holdout_validation", "customer_value_flags"} <= tables


@pytest.fixture(scope="module")
def demo(warehouse: duckdb.DuckDBPyConnection) -> dict[str, object]:
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    if not warehouse_has_clv(warehouse):
        pytest.fail("the warehouse has no CLV marts: build them first")
    as_of = warehouse.execute("select max(as_of_date) from intermediate.int_customers_aggregated").fetchone()[0]
    calibration_end = as_of - dt.timedelta(days=CALIBRATION_DAYS)
    params = warehouse.execute("select * from marts.clv_model_params").df()
    return {
        "as_of": as_of,
        "calibration_end": calibration_end,
        "summary": reference_summary(raw_orders, as_of, calibration_end),
        "params": params,
        "clv": warehouse.execute("select * from marts.customer_clv order by customer_id").df(),
        "scored": warehouse.execute(
            "select * from intermediate.int_clv_customers_scored order by model, customer_id"
        ).df(),
        "choice": warehouse.execute("select * from intermediate.int_clv_model_choice").df().set_index("model"),
    }


def dates(column: pd.Series) -> set[dt.date]:
    """The distinct values of a date column read with .df() (datetime64), as dates."""
    return set(pd.to_datetime(column).dt.date)


def warehouse_params(params: pd.DataFrame, fit_window: str, model: str) -> dict[str, float]:
    rows = params[(params["fit_window"] == fit_window) & (params["model"] == model)]
    return dict(zip(rows["parameter"], rows["value"]))


def test_demo_summary_matches_the_reference(demo: dict[str, object]) -> None:
    summary, clv, params = demo["summary"], demo["clv"], demo["params"]
    unit_days = float(params["time_unit_days"].iloc[0])
    assert set(params["time_unit"]) == {"week"} and unit_days == 7.0
    assert list(clv["customer_id"]) == list(summary["customer_id"])
    assert dates(clv["as_of_date"]) == {demo["as_of"]}
    np.testing.assert_array_equal(clv["x"].to_numpy(), summary["repeat_occasions"].to_numpy())
    np.testing.assert_allclose(clv["t_x"], summary["first_to_last_days"] / unit_days, rtol=0, atol=1e-12)
    np.testing.assert_allclose(clv["T"], summary["first_to_as_of_days"] / unit_days, rtol=0, atol=1e-12)


def test_demo_fit_is_stable_across_reruns(demo: dict[str, object]) -> None:
    """Refits of the reference summary are identical, in any row order, and equal the warehouse's."""
    summary = demo["summary"]
    first = fitted.fit_models(summary, "week")
    second = fitted.fit_models(summary, "week")
    pd.testing.assert_frame_equal(first, second)
    shuffled = fitted.fit_models(summary.sample(frac=1.0, random_state=11), "week")
    np.testing.assert_allclose(shuffled["value"], first["value"], rtol=1e-9)
    assert first["converged"].all()
    built = demo["params"].set_index(["fit_window", "model", "parameter"]).sort_index()
    refit = first.set_index(["fit_window", "model", "parameter"]).sort_index()
    assert list(built.index) == list(refit.index)
    # the warehouse fit read mean values computed in SQL, the refit in pandas (last-bit differences)
    np.testing.assert_allclose(built["value"], refit["value"], rtol=1e-7)
    np.testing.assert_allclose(built["log_likelihood"], refit["log_likelihood"], rtol=1e-10)
    np.testing.assert_array_equal(built["customers"], refit["customers"])
    assert dates(built["fit_end_date"][built.index.get_level_values(0) == "calibration"]) == {
        demo["calibration_end"]
    }


def test_demo_predictions_match_the_closed_forms(demo: dict[str, object]) -> None:
    """Every model's p_alive, expected purchases, next-order wait and CLV, per customer, and customer_clv."""
    summary, clv, params, scored_rows = demo["summary"], demo["clv"], demo["params"], demo["scored"]
    gg = warehouse_params(params, "full", "gamma_gamma")
    unit_days = 7.0
    horizons = [90.0 / unit_days] + [step * 365.0 / 12 / unit_days for step in range(1, 13)]
    expected_aov = np.array([
        ref_gamma_gamma_expected_value(gg, row.repeat_occasions, row.avg_repeat_occasion_value)
        for row in summary.itertuples()
    ])
    reference = {}
    for model in PURCHASE_MODELS:
        model_params = warehouse_params(params, "full", model)
        built = scored_rows[scored_rows["model"] == model].reset_index(drop=True)
        assert list(built["customer_id"]) == list(summary["customer_id"]), model
        rows = []
        for row, aov in zip(summary.itertuples(), expected_aov):
            x, t_x, T = row.repeat_occasions, row.first_to_last_days / unit_days, row.first_to_as_of_days / unit_days
            alive, cumulative = ref_model_predictions(model, model_params, horizons, x, t_x, T)
            days, estimate = ref_days_to_next_order(model_params["r"], model_params["alpha"], x, T, unit_days)
            rows.append({
                "p_alive": alive, "expected_purchases_90d": cumulative[0], "expected_purchases_365d": cumulative[-1],
                "clv_365d": ref_clv(model_params, aov, x, t_x, T, unit_days, DEFAULT_DISCOUNT_RATE, cumulative[1:]),
                "expected_days_to_next_order": days if days <= 36525 else np.nan, "next_order_estimate": estimate,
            })
        expected = pd.DataFrame(rows)
        reference[model] = expected
        for column in ("p_alive", "expected_purchases_90d", "expected_purchases_365d", "clv_365d",
                       "expected_days_to_next_order"):
            np.testing.assert_allclose(built[column], expected[column], rtol=1e-8, atol=1e-12, err_msg=(model, column))
        np.testing.assert_allclose(built["expected_aov"], expected_aov, rtol=1e-10)
        assert list(built["next_order_estimate"]) == list(expected["next_order_estimate"]), model

    # customer_clv: the chosen model's rows, and the columns derived from them
    chosen = demo["choice"].index[demo["choice"]["is_chosen"]].tolist()
    assert len(chosen) == 1 and set(clv["model"]) == set(chosen)
    expected = reference[chosen[0]]
    for column in ("p_alive", "expected_purchases_90d", "expected_purchases_365d", "clv_365d"):
        np.testing.assert_allclose(clv[column], expected[column], rtol=1e-8, atol=1e-12, err_msg=column)
    np.testing.assert_allclose(clv["churn_probability"], 1.0 - expected["p_alive"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(clv["expected_aov"], expected_aov, rtol=1e-10)
    next_order = [
        demo["as_of"] + dt.timedelta(days=int(math.floor(days + 0.5))) if not np.isnan(days) else None
        for days in expected["expected_days_to_next_order"]
    ]
    built_next = [None if pd.isna(value) else pd.Timestamp(value).date() for value in clv["expected_next_order_date"]]
    assert built_next == next_order
    repeat = summary["repeat_occasions"] > 0
    np.testing.assert_allclose(
        clv["average_days_between_orders"][repeat],
        (summary["first_to_last_days"] / summary["repeat_occasions"])[repeat], rtol=1e-12,
    )
    assert clv["average_days_between_orders"][~repeat].isna().all()
    np.testing.assert_allclose(clv["historic_clv"], summary["monetary"], rtol=0, atol=0.005)
    np.testing.assert_allclose(clv["total_clv"], summary["monetary"] + expected["clv_365d"], rtol=1e-8, atol=0.005)
    # rank 1 = highest clv_365d, ties share; decile = least(10, 1 + floor(10 * percent_rank))
    rank = clv["clv_365d"].rank(method="min", ascending=False)
    decile = np.minimum(10, 1 + np.floor(10 * (rank - 1) / (len(clv) - 1)))
    np.testing.assert_array_equal(clv["clv_rank"].to_numpy(), rank.astype(int).to_numpy())
    np.testing.assert_array_equal(clv["clv_decile"].to_numpy(), decile.astype(int).to_numpy())


def test_demo_lost_one_time_buyers_are_not_certainly_alive_under_mbg_nbd(demo: dict[str, object]) -> None:
    """BG/NBD gives every one-time buyer p_alive = 1; MBG/NBD and Pareto/NBD do not.

    Lost = no purchase for 365 days or more (the lifecycle boundary); for a one-time
    buyer that is T >= 365 days. Their MBG/NBD p_alive is below 1, and below that of the
    one-time buyers seen recently (p_alive falls with T when x = 0).
    """
    summary, scored_rows = demo["summary"], demo["scored"]
    by_model = {model: scored_rows[scored_rows["model"] == model].set_index("customer_id") for model in PURCHASE_MODELS}
    one_time = summary[summary["repeat_occasions"] == 0].set_index("customer_id")
    lost = one_time.index[one_time["first_to_as_of_days"] >= 365]
    recent = one_time.index[one_time["first_to_as_of_days"] < 90]
    assert len(lost) > 0 and len(recent) > 0
    assert (by_model["bg_nbd"].loc[one_time.index, "p_alive"] == 1.0).all()
    mbg_lost = by_model["mbg_nbd"].loc[lost, "p_alive"]
    assert (mbg_lost < 1.0).all()
    assert mbg_lost.max() < by_model["mbg_nbd"].loc[recent, "p_alive"].min()
    assert (by_model["pareto_nbd"].loc[lost, "p_alive"] < 1.0).all()
    print(f"\n{len(lost)} lost one-time buyers: MBG/NBD p_alive {mbg_lost.min():.3f}-{mbg_lost.max():.3f}")


def test_demo_holdout_validation_and_model_choice(
    warehouse: duckdb.DuckDBPyConnection, demo: dict[str, object]
) -> None:
    """Every model's holdout groups recomputed; the score and the auto choice recomputed in pandas."""
    summary = demo["summary"]
    calibration = summary[summary["is_in_calibration"]].copy()
    calibration["bucket"] = calibration["calibration_repeat_occasions"].clip(upper=7).astype(int)
    horizon = CALIBRATION_DAYS / 7.0
    built = warehouse.execute(
        "select * from marts.clv_holdout_validation order by model, calibration_repeat_purchases"
    ).df()
    assert sorted(set(built["model"])) == sorted(PURCHASE_MODELS)
    scores, total_errors = {}, {}
    for model in PURCHASE_MODELS:
        model_params = warehouse_params(demo["params"], "calibration", model)
        calibration["predicted"] = [
            ref_model_predictions(
                model, model_params, [horizon], row.calibration_repeat_occasions,
                row.calibration_first_to_last_days / 7.0, row.calibration_first_to_end_days / 7.0,
            )[1][0]
            for row in calibration.itertuples()
        ]
        expected = calibration.groupby("bucket").agg(
            customers=("customer_id", "count"), actual=("holdout_occasions", "sum"), predicted=("predicted", "sum")
        ).reindex(range(8), fill_value=0)
        rows = built[built["model"] == model]
        assert list(rows["calibration_repeat_purchases"]) == list(range(8))
        assert list(rows["calibration_repeat_purchases_label"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
        np.testing.assert_array_equal(rows["customers"], expected["customers"])
        np.testing.assert_array_equal(rows["actual_purchases"], expected["actual"])
        np.testing.assert_allclose(rows["predicted_purchases"], expected["predicted"], rtol=1e-8)
        np.testing.assert_allclose(rows["purchases_error"], expected["predicted"] - expected["actual"], rtol=1e-8)
        actual_total = expected["actual"].sum()
        scores[model] = float((expected["predicted"] - expected["actual"]).abs().sum() / actual_total)
        total_errors[model] = float((expected["predicted"].sum() - actual_total) / actual_total)
        np.testing.assert_allclose(rows["holdout_score"], scores[model], rtol=1e-9)
    assert dates(built["calibration_end_date"]) == {demo["calibration_end"]}
    assert dates(built["holdout_end_date"]) == {demo["as_of"]}
    assert set(built["holdout_days"]) == {CALIBRATION_DAYS}

    # auto: the lowest score (no ties on the demo data)
    best = min(scores, key=scores.get)
    choice = demo["choice"]
    assert choice.index[choice["is_chosen"]].tolist() == [best]
    np.testing.assert_allclose(choice.loc[list(scores), "holdout_score"], list(scores.values()), rtol=1e-9)
    np.testing.assert_allclose(choice.loc[list(scores), "holdout_total_error"], list(total_errors.values()), rtol=1e-9)
    assert set(built.loc[built["is_chosen"], "model"]) == {best}
    params = demo["params"]
    assert set(params.loc[params["is_chosen"], "model"]) == {best, "gamma_gamma"}
    assert params["choice_reason"].notna().all()
    assert choice.loc[best, "choice_reason"].startswith("auto: lowest holdout score")
    print(
        "\nholdout (182 days): " + ", ".join(
            f"{model} score {scores[model]:.4f} total error {total_errors[model]:+.2%}" for model in PURCHASE_MODELS
        ) + f"; chosen {best}"
    )


def test_demo_value_flags_match_the_definitions(warehouse: duckdb.DuckDBPyConnection, demo: dict[str, object]) -> None:
    summary, clv = demo["summary"], demo["clv"]
    flags = warehouse.execute("select * from marts.customer_value_flags order by customer_id").df()
    assert list(flags["customer_id"]) == list(summary["customer_id"])
    n = len(summary)

    def cume_dist_desc(values: pd.Series) -> np.ndarray:
        """Share of customers whose value is at least this one's (cume_dist over value desc)."""
        ordered = np.sort(values.to_numpy())
        return (n - np.searchsorted(ordered, values.to_numpy(), side="left")) / n

    monetary_share = cume_dist_desc(summary["monetary"])
    clv_share = cume_dist_desc(clv["clv_365d"])
    np.testing.assert_allclose(flags["monetary"].astype(float), summary["monetary"], rtol=0, atol=0.005)
    np.testing.assert_allclose(flags["monetary_cume_dist"], monetary_share, rtol=1e-12)
    np.testing.assert_allclose(flags["clv_cume_dist"], clv_share, rtol=1e-12)
    hidden_gem = (
        (clv["p_alive"] >= FLAG_VARS["high_p_alive"])
        & (clv_share <= FLAG_VARS["top_share"])
        & (monetary_share > FLAG_VARS["low_monetary_share"])
    )
    at_risk = (monetary_share <= FLAG_VARS["top_share"]) & (clv["p_alive"] < FLAG_VARS["low_p_alive"])
    np.testing.assert_array_equal(flags["is_hidden_gem"].to_numpy(), hidden_gem.to_numpy())
    np.testing.assert_array_equal(flags["is_at_risk_high_value"].to_numpy(), at_risk.to_numpy())
    assert hidden_gem.any() and at_risk.any()  # the demo data has both kinds

    # The same flags in the customer 360 (issue 8 item 3); prospects and others are not flagged.
    customers = warehouse.execute(
        "select customer_id, is_hidden_gem, is_at_risk_high_value, p_alive, churn_probability,"
        " expected_next_order_date from marts.customers order by customer_id"
    ).df().set_index("customer_id")
    # p_alive, churn probability and next order date of the chosen model (issue 23); null for prospects
    indexed = clv.set_index("customer_id")
    assert customers.loc[~customers.index.isin(indexed.index), ["p_alive", "churn_probability"]].isna().all().all()
    ours = customers.loc[indexed.index]
    np.testing.assert_allclose(ours["p_alive"], indexed["p_alive"], rtol=0, atol=0)
    np.testing.assert_allclose(ours["churn_probability"], 1.0 - indexed["p_alive"], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(
        pd.to_datetime(ours["expected_next_order_date"]).to_numpy(),
        pd.to_datetime(indexed["expected_next_order_date"]).to_numpy(),
    )
    expected = pd.DataFrame({"is_hidden_gem": hidden_gem.to_numpy(), "is_at_risk_high_value": at_risk.to_numpy()},
                            index=summary["customer_id"].to_numpy())
    expected = expected.reindex(customers.index, fill_value=False)
    assert customers["is_hidden_gem"].notna().all() and customers["is_at_risk_high_value"].notna().all()
    np.testing.assert_array_equal(customers["is_hidden_gem"].to_numpy(bool), expected["is_hidden_gem"].to_numpy(bool))
    np.testing.assert_array_equal(customers["is_at_risk_high_value"].to_numpy(bool),
                                  expected["is_at_risk_high_value"].to_numpy(bool))
    assert len(customers) > len(summary)  # members without a purchase are in customers too


# ------------------------------------------------------------------ builds with vars


def test_time_unit_discount_rate_and_calibration_vars(tmp_path: Path, warehouse: duckdb.DuckDBPyConnection) -> None:
    """Non-default vars reach the Python models: days, no discounting, an earlier calibration end."""
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    as_of = warehouse.execute("select max(as_of_date) from intermediate.int_customers_aggregated").fetchone()[0]
    calibration_end = as_of - dt.timedelta(days=273)
    result = run_dbt(
        # build, not run: the customer state under customer_value_flags reads config seeds
        ["build", "--select", "+customer_value_flags", "+customer_clv", "+clv_model_params", "+clv_holdout_validation",
         "--exclude", "resource_type:test", "resource_type:unit_test"],
        tmp_path / "clv_vars.duckdb",
        {
            "raw_orders": str(raw_orders),
            "clv_time_unit": "day",
            "clv_annual_discount_rate": 0,
            "clv_calibration_end": calibration_end.isoformat(),
            "clv_model": "MBG_NBD",  # case-insensitive
        },
    )
    assert result.returncode == 0, result.output
    with result.connect() as connection:
        params = connection.execute("select * from marts.clv_model_params").df()
        clv = connection.execute("select * from marts.customer_clv").df()
        holdout = connection.execute("select * from marts.clv_holdout_validation").df()
        scored_mbg = connection.execute(
            "select customer_id, p_alive from intermediate.int_clv_customers_scored where model = 'mbg_nbd'"
            " order by customer_id"
        ).df()
    weekly = warehouse.execute("select * from marts.clv_model_params").df()
    # var clv_model forces the model, whatever the holdout says
    assert set(clv["model"]) == {"mbg_nbd"}
    assert set(holdout.loc[holdout["is_chosen"], "model"]) == {"mbg_nbd"}
    assert set(holdout.loc[holdout["is_chosen"], "choice_reason"]) == {"set by var clv_model = mbg_nbd"}
    assert set(params.loc[params["is_chosen"], "model"]) == {"mbg_nbd", "gamma_gamma"}
    np.testing.assert_array_equal(
        clv.sort_values("customer_id")["p_alive"].to_numpy(), scored_mbg["p_alive"].to_numpy()
    )
    assert set(params["time_unit"]) == {"day"} and set(params["time_unit_days"]) == {1.0}
    daily_bg, weekly_bg = warehouse_params(params, "full", "bg_nbd"), warehouse_params(weekly, "full", "bg_nbd")
    for name in ("r", "a", "b"):
        assert relative_error(daily_bg[name], weekly_bg[name]) < 1e-4, name
    assert relative_error(daily_bg["alpha"], 7 * weekly_bg["alpha"]) < 1e-4
    # no discounting: CLV = expected spend per occasion x expected occasions in 365 days
    np.testing.assert_allclose(clv["clv_365d"], clv["expected_aov"] * clv["expected_purchases_365d"], rtol=1e-9)
    assert dates(holdout["calibration_end_date"]) == {calibration_end}
    assert set(holdout["holdout_days"]) == {273}
    calibration = params[params["fit_window"] == "calibration"]
    assert dates(calibration["fit_end_date"]) == {calibration_end}


def test_a_calibration_end_on_or_after_as_of_date_is_refused(tmp_path: Path) -> None:
    """A run-time check (the post-hook of int_customers_clv_summarized): the build stops
    there with one clear line, and the CLV fit after it does not run."""
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    result = run_dbt(
        ["build", "--select", "+int_clv_models_fitted", "--exclude", "resource_type:test", "resource_type:unit_test"],
        tmp_path / "clv_bad.duckdb",
        {"raw_orders": str(raw_orders), "as_of_date": "2025-06-30", "clv_calibration_end": "2025-06-30"},
    )
    assert result.returncode != 0
    assert "clv_calibration_end = '2025-06-30' must be before as_of_date (2025-06-30)" in result.output
    assert "SKIP relation intermediate.int_clv_models_fitted" in result.output


def test_an_unknown_clv_model_is_refused(tmp_path: Path) -> None:
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    result = run_dbt(
        ["compile", "--select", "int_clv_model_choice"],
        tmp_path / "clv_bad_model.duckdb",
        {"raw_orders": str(raw_orders), "clv_model": "gamma_gamma"},
    )
    assert result.returncode != 0
    message = "var clv_model = 'gamma_gamma' is not supported: use one of auto, bg_nbd, mbg_nbd, pareto_nbd"
    assert message in result.output


def test_spark_target_skips_the_python_models(tmp_path: Path) -> None:
    """dbt-spark runs Python models only on managed platforms: on Spark every CLV model is disabled."""
    env = dict(os.environ)
    env.update({"DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"), "CRM_TARGET": "spark",
                "CRM_SPARK_DIR": str(tmp_path / "spark")})
    completed = subprocess.run(
        [str(DBT), "ls", "--resource-type", "model", "analysis", "--output", "name",
         "--target-path", str(tmp_path / "target")],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    names = set(completed.stdout.split())
    assert "int_customers_clv_summarized" in names  # SQL: built everywhere
    assert not names & set(CLV_MODELS + ["clv_hidden_gems_and_at_risk"])
