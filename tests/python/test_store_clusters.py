"""Counter clustering by product mix and customer age (issue 24, item 5).

The features (category shares of spend, age-band shares of buyers per store and
fiscal year) are recomputed in pandas from the raw demo CSVs: orders through
tests/python/reference.py, order lines allocated as in test_campaign_marts, ages with
its age_on / age_band. The clusters are checked three ways: a k-means fit of our own
over the recomputed features gives the same partition; the labels are the dominant
category and age band of each cluster's mean shares computed here; two builds (and a
rebuild of the Python model alone) give identical clusters, and var store_mix_clusters
sets k. Fiscal years are calendar years (var fiscal_year_start_month = 1, the default).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

import reference
from conftest import SEEDS_DIR, run_dbt
from test_campaign_marts import age_band, age_on, purchase_lines, read_seed

CLUSTERS = 4  # dbt_project.yml defaults
SEED = 42
CLUSTER_QUERY = ("select store_id, fiscal_year, mix_cluster, mix_cluster_label, cluster_category, cluster_age_band,"
                 " clusters from intermediate.int_store_mix_clusters order by store_id, fiscal_year")


@pytest.fixture(scope="module")
def mixes() -> dict[tuple[str, int, str, str], Decimal]:
    """(store, year, dimension, value) -> amount: category net spend, age-band buyers."""
    kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
    bought, as_of = reference.purchases(kept)
    lines = purchase_lines(bought)
    members: dict[str, dt.date | None] = {}
    for row in reference.read_raw_csv(SEEDS_DIR / "raw_members.csv").sort_values("updated_at").to_dict("records"):
        if row["member_id"]:
            members[row["member_id"]] = dt.date.fromisoformat(row["birth_date"][:10]) if row["birth_date"] else None
    amounts: dict[tuple[str, int, str, str], Decimal] = defaultdict(Decimal)
    buyers: dict[tuple[str, int], set[str]] = defaultdict(set)
    for order in bought.itertuples(index=False):
        if order.store_id is None:
            continue
        year = order.purchase_date.year
        buyers[(order.store_id, year)].add(order.customer_id)
        for _, category, net in lines.get(order.order_id, []):
            if category is not None:
                amounts[(order.store_id, year, "category", category)] += net
    for (store, year), customers in buyers.items():
        reference_day = min(dt.date(year, 12, 31), as_of)
        for customer in customers:
            age = age_on(members.get(customer), reference_day)
            if age is not None:
                amounts[(store, year, "age_band", age_band(age))] += 1
    return dict(amounts)


@pytest.fixture(scope="module")
def features(mixes) -> pd.DataFrame:
    """Store-years x 'dimension:value' shares (0 when absent), sorted like the model's input."""
    totals: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for (store, year, dimension, _), amount in mixes.items():
        totals[(store, year, dimension)] += amount
    records = [
        {"store_id": store, "fiscal_year": year, "feature": f"{dimension}:{value}",
         "share": float(amount) / float(totals[(store, year, dimension)])}
        for (store, year, dimension, value), amount in mixes.items()
    ]
    wide = pd.DataFrame(records).pivot_table(index=["store_id", "fiscal_year"], columns="feature",
                                             values="share", fill_value=0.0)
    return wide.sort_index(axis=0).sort_index(axis=1)


def fetch(connection, sql: str) -> list[dict[str, object]]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def partition(assignments: dict[tuple[str, int], object]) -> set[frozenset]:
    groups: dict[object, set] = defaultdict(set)
    for key, label in assignments.items():
        groups[label].add(key)
    return {frozenset(members) for members in groups.values()}


def dominant(shares: pd.Series, prefix: str) -> str:
    order = {row["age_band"]: int(row["sort_order"]) for row in read_seed("age_bands")}
    values = {name.split(":", 1)[1]: share for name, share in shares.items() if name.startswith(prefix + ":")}
    best = max(values.values())
    return min((value for value, share in values.items() if abs(share - best) < 1e-12),
               key=lambda value: (order.get(value, 0), value))


def test_features_recomputed(mixes, warehouse) -> None:
    rows = fetch(warehouse, "select * from intermediate.int_store_year_mixes")
    actual = {(row["store_id"], row["fiscal_year"], row["mix_dimension"], row["mix_value"]): row for row in rows}
    assert set(actual) == set(mixes)
    totals: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for (store, year, dimension, _), amount in mixes.items():
        totals[(store, year, dimension)] += amount
    for key, amount in mixes.items():
        assert actual[key]["amount"] == amount, key
        assert actual[key]["mix_share"] == pytest.approx(float(amount) / float(totals[key[:3]]), abs=1e-12), key
    assert {key[3] for key in mixes if key[2] == "age_band"} - {"unknown"} == {
        key[3] for key in mixes if key[2] == "age_band"}


def test_clusters_match_an_independent_fit(features, warehouse) -> None:
    """Our own k-means over the pandas features (standardised, same k, seed and n_init)
    splits the store-years the same way."""
    rows = fetch(warehouse, CLUSTER_QUERY)
    assert [(row["store_id"], row["fiscal_year"]) for row in rows] == list(features.index)
    scaled = StandardScaler().fit_transform(features.to_numpy())
    labels = KMeans(n_clusters=CLUSTERS, n_init=10, random_state=SEED).fit(scaled).labels_
    ours = dict(zip(features.index, labels))
    theirs = {(row["store_id"], row["fiscal_year"]): row["mix_cluster"] for row in rows}
    assert partition(theirs) == partition(ours)
    assert {row["clusters"] for row in rows} == {CLUSTERS}
    # numbered by size, largest first
    sizes = pd.Series(theirs).value_counts().sort_index()
    assert list(sizes.index) == list(range(1, CLUSTERS + 1))
    assert list(sizes) == sorted(sizes, reverse=True)


def test_labels_are_the_dominant_shares(features, warehouse) -> None:
    rows = fetch(warehouse, CLUSTER_QUERY)
    members: dict[int, list[tuple[str, int]]] = defaultdict(list)
    labels: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        members[row["mix_cluster"]].append((row["store_id"], row["fiscal_year"]))
        labels[row["mix_cluster"]].add((row["mix_cluster_label"], row["cluster_category"], row["cluster_age_band"]))
    seen: dict[str, int] = defaultdict(int)
    for number in sorted(members):
        means = features.loc[members[number]].mean()
        category, band = dominant(means, "category"), dominant(means, "age_band")
        base = f"{category}, {band}"
        seen[base] += 1
        expected = base if seen[base] == 1 else f"{base} ({seen[base]})"
        assert labels[number] == {(expected, category, band)}, number


def test_store_archetypes_carry_mix_and_cluster(features, warehouse) -> None:
    """store_archetypes: the store-year's own top category / age band (pandas argmax), and
    the cluster of int_store_mix_clusters; every archetype row has a cluster on DuckDB."""
    rows = fetch(warehouse, "select * from marts.store_archetypes")
    clusters = {(row["store_id"], row["fiscal_year"]): row for row in fetch(warehouse, CLUSTER_QUERY)}
    assert rows
    for row in rows:
        key = (row["store_id"], row["year"])
        shares = features.loc[key]
        assert row["top_category"] == dominant(shares, "category"), key
        assert row["top_category_share"] == pytest.approx(shares[f"category:{row['top_category']}"], abs=1e-12)
        assert row["top_age_band"] == dominant(shares, "age_band"), key
        assert row["top_age_band_share"] == pytest.approx(shares[f"age_band:{row['top_age_band']}"], abs=1e-12)
        assert (row["mix_cluster"], row["mix_cluster_label"]) == (
            clusters[key]["mix_cluster"], clusters[key]["mix_cluster_label"]), key


def test_rerun_stability_and_cluster_count(tmp_path, warehouse) -> None:
    """Two builds of the same data give identical clusters (and the same as the warehouse
    under test); a rebuild of the Python model alone too; var store_mix_clusters sets k."""
    db_path = tmp_path / "clusters.duckdb"
    first = run_dbt(["build", "--select", "+int_store_mix_clusters", "--exclude", "test_type:unit",
                     "--indirect-selection", "cautious"], db_path)
    assert first.returncode == 0, first.output[-5000:]
    with first.connect() as connection:
        built_once = fetch(connection, CLUSTER_QUERY)
    again = run_dbt(["run", "--select", "int_store_mix_clusters"], db_path)
    assert again.returncode == 0, again.output[-5000:]
    with again.connect() as connection:
        built_twice = fetch(connection, CLUSTER_QUERY)
    assert built_once == built_twice
    assert built_once == fetch(warehouse, CLUSTER_QUERY)

    two = run_dbt(["run", "--select", "int_store_mix_clusters"], db_path, {"store_mix_clusters": 2})
    assert two.returncode == 0, two.output[-5000:]
    with two.connect() as connection:
        rows = fetch(connection, CLUSTER_QUERY)
    assert {row["clusters"] for row in rows} == {2}
    assert {row["mix_cluster"] for row in rows} == {1, 2}
    assert len(rows) == len(built_once)
    assert np.unique([row["mix_cluster_label"] for row in rows]).size == 2
