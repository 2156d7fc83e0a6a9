#!/usr/bin/env python3
"""Time each CLV model's fit and scoring at scale (the table in docs/benchmarks.md, "CLV fit").

Customers are simulated from BG/NBD and Gamma-Gamma with the published CDNOW
parameters (first purchases spread over 2.5 years, t_x and T in whole days, time unit
week), as the days summary int_customers_clv_summarized would hold them. The functions
of the dbt Python models (models/intermediate/clv) are imported and timed directly:

- fit: each purchase model (BG/NBD, MBG/NBD, Pareto/NBD) from the weekly (x, t_x, T)
  arrays, grouping into distinct rows included, and Gamma-Gamma;
- score: p_alive, expected purchases at 90 days and 12 monthly steps, the next-order
  wait and the discounted CLV of one purchase model (score_customers with only that
  model's parameters, Gamma-Gamma included);
- the dbt models' entry points: fit_models (every model; the demo's calibration window
  doubles the purchase fits, which this simulation leaves empty) and score_customers
  (every model).

Each step runs --repeat times; the table gives the median and the range.

    python scripts/bench_clv.py --customers 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parent.parent
CDNOW_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def load_model_module(name: str) -> ModuleType:
    """A dbt Python model file of models/intermediate/clv as a module."""
    path = PROJECT_DIR / "models" / "intermediate" / "clv" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def simulate_summary(customers: int, seed: int = 20240601) -> pd.DataFrame:
    """Customers drawn from BG/NBD (CDNOW parameters) and Gamma-Gamma, as a days summary."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = (CDNOW_BG_NBD[name] for name in ("r", "alpha", "a", "b"))
    rate = rng.gamma(r, 1.0 / alpha, customers)  # purchases per week while alive
    dropout = rng.beta(a, b, customers)
    T_days = rng.integers(0, 913, customers)  # first purchases over 2.5 years
    arrivals = rng.poisson(rate * T_days / 7.0)
    lifetime_purchases = rng.geometric(dropout)  # dies right after this repeat purchase
    x = np.minimum(arrivals, lifetime_purchases)
    # the x-th of `arrivals` uniform purchase times in (0, T)
    last = rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1))
    t_x_days = np.where(x > 0, np.minimum(np.round(last * T_days), T_days), 0).astype(int)
    p, q, v = (CDNOW_GAMMA_GAMMA[name] for name in ("p", "q", "v"))
    nu = rng.gamma(q, 1.0 / v, customers)
    safe_x = np.maximum(x, 1)
    mean_value = np.where(x > 0, rng.gamma(p * safe_x, 1.0 / nu) / safe_x, np.nan)
    return pd.DataFrame(
        {
            "customer_id": np.char.add("C", np.arange(customers).astype(str)),
            "repeat_occasions": x,
            "first_to_last_days": t_x_days,
            "first_to_as_of_days": T_days,
            "avg_repeat_occasion_value": mean_value,
            "is_in_calibration": False,
            "calibration_repeat_occasions": np.nan,
            "calibration_first_to_last_days": np.nan,
            "calibration_first_to_end_days": np.nan,
            "holdout_days": 182,
        }
    )


def timed(function, repeat: int) -> tuple[list[float], object]:
    """Wall times of `repeat` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


def cell(times: list[float]) -> str:
    median = statistics.median(times)
    if len(times) == 1:
        return f"{median:.2f} s"
    return f"{median:.2f} s ({min(times):.2f}-{max(times):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    fitted, scored = load_model_module("int_clv_models_fitted"), load_model_module("int_clv_customers_scored")

    summary = simulate_summary(args.customers, args.seed)
    x = summary["repeat_occasions"].to_numpy(dtype=float)
    t_x = summary["first_to_last_days"].to_numpy(dtype=float) / 7.0
    T = summary["first_to_as_of_days"].to_numpy(dtype=float) / 7.0
    print(
        f"{args.customers:,} customers, {int((x > 0).sum()):,} repeat customers; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows = []
    params = fitted.fit_models(summary, "week")
    gamma_gamma = params[params["model"] == "gamma_gamma"]
    for model_name, fit in fitted.PURCHASE_MODEL_FITS.items():
        fit_times, result = timed(lambda: fit(x, t_x, T), args.repeat)
        one_model = pd.concat([params[params["model"] == model_name], gamma_gamma], ignore_index=True)
        score_times, _ = timed(lambda: scored.score_customers(summary, one_model), args.repeat)
        rows.append((model_name, cell(fit_times), f"{result.iterations}", f"{result.fitted_rows:,}",
                     cell(score_times)))
        print(rows[-1], flush=True)
    gg_times, gg = timed(
        lambda: fitted.fit_gamma_gamma(x, summary["avg_repeat_occasion_value"].to_numpy(dtype=float)), args.repeat
    )
    rows.append(("gamma_gamma", cell(gg_times), f"{gg.iterations}", f"{gg.fitted_rows:,}", "(in each row above)"))
    all_fit, _ = timed(lambda: fitted.fit_models(summary, "week"), args.repeat)
    all_score, _ = timed(lambda: scored.score_customers(summary, params), args.repeat)
    rows.append(("all (fit_models / score_customers)", cell(all_fit), "", "", cell(all_score)))

    print("\n| model | fit | iterations | distinct rows | scoring |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    fitted_values = params.set_index(["model", "parameter"])["value"].round(4).to_dict()
    print("\nfitted:", fitted_values)


if __name__ == "__main__":
    main()
