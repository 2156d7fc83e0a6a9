"""Counter clustering by product mix and customer age (issue 24, item 5): k-means.

One row per store and fiscal year of int_store_year_mixes. The features are the
store-year's category shares of spend and age-band shares of buyers (a share the
store-year does not have is 0), each standardised over the store-years (zero mean,
unit variance; a feature with no variance is left at 0). One k-means fit over every
store-year (so a counter type means the same in every year and a store can move
between types): scikit-learn's KMeans with k = var store_mix_clusters (at most the
number of distinct feature rows), random_state = var store_mix_cluster_seed and a
fixed n_init of 10, on the rows in (store_id, fiscal_year) order: two builds of the
same data give the same clusters.

Clusters are numbered 1..k by size (largest first), then by label, then by their
first store-year. The label is plain language: the cluster's dominant category and
dominant age band, the largest mean share among its store-years (ties: the
alphabetically first category, the youngest band of seed age_bands' sort_order),
e.g. "skincare, 25-29"; when two clusters would share a label, the later ones get
" (2)", " (3)", ... in cluster order. `model(dbt, session)` is the only part that
touches dbt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

N_INIT = 10
KEYS = ["store_id", "fiscal_year"]
# Text as pandas' string dtype: DuckDB types an empty object column NULL, a string one VARCHAR
# (a build without order lines or stores has no store-year to cluster).
OUTPUT_COLUMNS = {
    "store_id": "string",
    "fiscal_year": "int64",
    "mix_cluster": "int64",
    "mix_cluster_label": "string",
    "cluster_category": "string",
    "cluster_age_band": "string",
    "clusters": "int64",
}


def feature_table(mixes: pd.DataFrame) -> pd.DataFrame:
    """Store-years x features ('category:<name>', 'age_band:<band>'), shares, 0 when absent."""
    frame = mixes.assign(feature=mixes["mix_dimension"] + ":" + mixes["mix_value"])
    wide = frame.pivot_table(index=KEYS, columns="feature", values="mix_share", aggfunc="sum", fill_value=0.0)
    wide = wide.sort_index(axis=0).sort_index(axis=1)
    wide.columns.name = None
    return wide.astype(float)


def dominant(means: pd.Series, prefix: str, order: dict[str, int]) -> str | None:
    """The value with the largest mean share among the features of `prefix` (ties: `order`, then name)."""
    values = [(name[len(prefix) + 1:], share) for name, share in means.items() if name.startswith(prefix + ":")]
    if not values:
        return None
    best = max(share for _, share in values)
    tied = [value for value, share in values if np.isclose(share, best, rtol=0, atol=1e-12)]
    return min(tied, key=lambda value: (order.get(value, 0), value))


def cluster(mixes: pd.DataFrame, clusters: int, seed: int, band_order: dict[str, int]) -> pd.DataFrame:
    features = feature_table(mixes)
    if features.empty:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in OUTPUT_COLUMNS.items()})
    k = max(1, min(clusters, len(features.drop_duplicates())))
    scaled = StandardScaler().fit_transform(features.to_numpy())
    fitted = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(scaled)
    assigned = pd.Series(fitted.labels_, index=features.index, name="raw_cluster")

    summaries = []
    for raw, members in assigned.groupby(assigned):
        means = features.loc[members.index].mean()
        category = dominant(means, "category", {})
        band = dominant(means, "age_band", band_order)
        label = ", ".join(part for part in (category, band) if part is not None)
        summaries.append({"raw_cluster": raw, "size": len(members), "label": label, "first": min(members.index),
                          "cluster_category": category, "cluster_age_band": band})
    ordered = sorted(summaries, key=lambda item: (-item["size"], item["label"], item["first"]))
    seen: dict[str, int] = {}
    for number, item in enumerate(ordered, start=1):
        item["mix_cluster"] = number
        seen[item["label"]] = seen.get(item["label"], 0) + 1
        item["mix_cluster_label"] = item["label"] + (f" ({seen[item['label']]})" if seen[item["label"]] > 1 else "")
    by_raw = {item["raw_cluster"]: item for item in ordered}

    result = assigned.reset_index()
    for column in ("mix_cluster", "mix_cluster_label", "cluster_category", "cluster_age_band"):
        result[column] = result["raw_cluster"].map(lambda raw, column=column: by_raw[raw][column])
    result["clusters"] = k
    return result[list(OUTPUT_COLUMNS)].astype(OUTPUT_COLUMNS)


def model(dbt, session):
    dbt.config(materialized="table")
    clusters = int(dbt.config.meta_get("store_mix_clusters"))
    seed = int(dbt.config.meta_get("store_mix_cluster_seed"))
    if clusters < 1:
        raise ValueError(f"var store_mix_clusters = {clusters} must be a whole number of at least 1")
    mixes = dbt.ref("int_store_year_mixes").df()
    bands = dbt.ref("age_bands").df()
    band_order = {row.age_band: int(row.sort_order) for row in bands.itertuples(index=False)}
    mixes["fiscal_year"] = mixes["fiscal_year"].astype("int64")
    return cluster(mixes, clusters, seed, band_order)
