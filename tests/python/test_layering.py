"""Layering of the DAG (issue 20, item 7), read from the manifest of the build under test.

Every edge into a model of this project is checked against the layer rules
(docs/decisions.md "Layering"); the layer of a model is its folder under models/:

- staging reads only sources, seeds and staging models;
- intermediate reads only staging models, intermediate models and seeds;
- marts read only intermediate models, seeds, and the marts they declare in their yml
  (`config: meta: reads_marts: [name, ...]`); a declaration names a mart the model reads;
- any other model (semantic, metric tests) reads only sources and seeds;
- no macro adds a hidden edge: every ref() / source() in a model's depends_on is written
  in the model's own code (no exception);
- the longest chain of marts reading marts is at most 2 edges.

Failure messages name each offending edge. The checks run on a small hand-made manifest
first, so a check that can no longer see a violation fails too.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

import dbt_artifacts

REF_CALL = re.compile(r"""\bref\(\s*(['"])([^'"]+)\1(?:\s*,\s*(['"])([^'"]+)\3)?""")
SOURCE_CALL = re.compile(r"""\bsource\(\s*(['"])([^'"]+)\1\s*,\s*(['"])([^'"]+)\3""")
# A name the model computes in its own code, e.g. in a loop over the inputs:
# ref('base_crm__' ~ input_name) names every model with that prefix,
# source('crm_raw', input_name) every table of that source.
REF_PREFIX_CALL = re.compile(r"""\bref\(\s*(['"])([^'"]+)\1\s*~""")
SOURCE_ANY_CALL = re.compile(r"""\bsource\(\s*(['"])([^'"]+)\1\s*,\s*[A-Za-z_][A-Za-z_0-9]*\s*[,)]""")
LAYERS = ("staging", "intermediate", "marts")
ALLOWED = {
    "staging": {"source", "seed", "staging"},
    "intermediate": {"staging", "intermediate", "seed"},
    "marts": {"intermediate", "seed"},  # plus the marts a mart declares in meta.reads_marts
    "other": {"source", "seed"},
}
MAX_MART_CHAIN_EDGES = 2


def layer(node: dict) -> str:
    """A parent or child's kind: source / seed / snapshot, or a model's layer (folder under models/)."""
    if node["resource_type"] != "model":
        return node["resource_type"]
    parts = PurePosixPath(node["original_file_path"]).parts
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else "other"


def label(node: dict) -> str:
    if node["resource_type"] == "source":
        return f"source {node['source_name']}.{node['name']}"
    if node["resource_type"] == "model":
        return f"{layer(node)} model {node['name']}"
    return f"{node['resource_type']} {node['name']}"


def project_models(manifest: dict) -> dict[str, dict]:
    project = manifest["metadata"]["project_name"]
    return {
        unique_id: node for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == project
        and (node.get("config") or {}).get("enabled", True)
    }


def parents(manifest: dict, node: dict) -> list[dict]:
    everything = {**manifest["nodes"], **manifest.get("sources", {})}
    return [everything[parent] for parent in node["depends_on"]["nodes"]
            if parent in everything and everything[parent]["resource_type"] in {"model", "seed", "source", "snapshot"}]


def declared_marts(node: dict) -> list[str]:
    return list((node.get("config", {}).get("meta") or {}).get("reads_marts") or [])


def layer_violations(manifest: dict) -> list[str]:
    """Edges that break the layer rules, as 'child <- parent: why'."""
    violations = []
    for node in project_models(manifest).values():
        child_layer = layer(node)
        declared = declared_marts(node)
        for parent in parents(manifest, node):
            parent_layer = layer(parent)
            if parent_layer in ALLOWED[child_layer]:
                continue
            if child_layer == "marts" and parent_layer == "marts" and parent["name"] in declared:
                continue
            why = ("a mart not declared in its meta.reads_marts" if child_layer == "marts" and parent_layer == "marts"
                   else f"{child_layer} reads only {', '.join(sorted(ALLOWED[child_layer]))}")
            violations.append(f"{label(node)} <- {label(parent)}: {why}")
        if declared and child_layer != "marts":
            violations.append(f"{label(node)}: meta.reads_marts is for marts only")
        read = {parent["name"] for parent in parents(manifest, node) if layer(parent) == "marts"}
        for name in declared:
            if name not in read:
                violations.append(f"{label(node)}: meta.reads_marts names {name}, which it does not read")
    return sorted(violations)


def written_parents(code: str) -> set[tuple[str, ...]]:
    written: set[tuple[str, ...]] = set()
    for match in REF_CALL.finditer(code):
        written.add(("ref", match.group(4) or match.group(2)))
    for match in SOURCE_CALL.finditer(code):
        written.add(("source", match.group(2), match.group(4)))
    for match in REF_PREFIX_CALL.finditer(code):
        written.add(("ref-prefix", match.group(2)))
    for match in SOURCE_ANY_CALL.finditer(code):
        written.add(("source-any", match.group(2)))
    return written


def is_written(key: tuple[str, ...], written: set[tuple[str, ...]]) -> bool:
    """key (('ref', model) / ('source', name, table)) is named by a ref() / source() in the model's code."""
    if key in written:
        return True
    if key[0] == "ref":
        return any(kind == "ref-prefix" and key[1].startswith(rest[0]) for kind, *rest in written)
    return ("source-any", key[1]) in written


def hidden_edges(manifest: dict) -> list[str]:
    """Edges in depends_on that no ref() / source() in the model's own code names (a macro added them)."""
    violations = []
    for node in project_models(manifest).values():
        written = written_parents(node.get("raw_code") or "")
        macros = sorted(macro.rsplit(".", 1)[-1] for macro in node["depends_on"].get("macros", [])
                        if macro.startswith(f"macro.{manifest['metadata']['project_name']}."))
        for parent in parents(manifest, node):
            key = (("source", parent["source_name"], parent["name"]) if parent["resource_type"] == "source"
                   else ("ref", parent["name"]))
            if not is_written(key, written):
                violations.append(f"{label(node)} <- {label(parent)}: not written in {node['original_file_path']}"
                                  f" (project macros it calls: {', '.join(macros) or 'none'})")
    return sorted(violations)


def longest_mart_chain(manifest: dict) -> list[str]:
    """The longest path of marts reading marts, as mart names (one name: no such edge)."""
    marts = {node["name"]: node for node in project_models(manifest).values() if layer(node) == "marts"}
    reads = {name: sorted(parent["name"] for parent in parents(manifest, node)
                          if parent["resource_type"] == "model" and layer(parent) == "marts")
             for name, node in marts.items()}
    memo: dict[str, list[str]] = {}

    def chain_to(name: str) -> list[str]:
        if name not in memo:
            memo[name] = max(([*chain_to(parent), name] for parent in reads[name]), key=len, default=[name])
        return memo[name]

    return max((chain_to(name) for name in sorted(marts)), key=len, default=[])


# --- The checks see violations (a hand-made manifest) -------------------------------

def _model(name: str, folder: str, code: str, depends_on: list[str], reads_marts: list[str] | None = None) -> dict:
    meta = {"reads_marts": reads_marts} if reads_marts else {}
    return {"resource_type": "model", "name": name, "package_name": "p", "raw_code": code,
            "original_file_path": f"models/{folder}/{name}.sql", "config": {"meta": meta},
            "depends_on": {"nodes": depends_on, "macros": ["macro.p.as_of_date"]}}


SAMPLE = {
    "metadata": {"project_name": "p"},
    "sources": {"source.p.crm.orders": {"resource_type": "source", "source_name": "crm", "name": "orders"}},
    "nodes": {
        "seed.p.targets": {"resource_type": "seed", "name": "targets", "package_name": "p"},
        "model.p.stg_orders": _model("stg_orders", "staging", "select * from {{ source('crm', 'orders') }}",
                                     ["source.p.crm.orders"]),
        "model.p.int_orders": _model("int_orders", "intermediate",
                                     "select * from {{ ref('stg_orders') }} {{ as_of_date() }}",
                                     ["model.p.stg_orders", "model.p.mart_a"]),
        "model.p.mart_a": _model("mart_a", "marts", "select * from {{ ref('stg_orders') }}", ["model.p.stg_orders"]),
        "model.p.mart_b": _model("mart_b", "marts", "select * from {{ ref('mart_a') }}, {{ ref('targets') }}",
                                 ["model.p.mart_a", "seed.p.targets"], reads_marts=["mart_a", "mart_z"]),
        "model.p.mart_c": _model("mart_c", "marts", "select * from {{ ref('mart_b') }}", ["model.p.mart_b"]),
        "model.p.mart_d": _model("mart_d", "marts", 'select * from {{ ref("p", "mart_c") }}', ["model.p.mart_c"],
                                 reads_marts=["mart_c"]),
        # Names computed in the model's own loop are written there: stg_orders matches the
        # prefix, int_orders does not, and only the named source counts.
        "model.p.stg_all": _model("stg_all", "staging",
                                  "{% for t in ['orders'] %}{{ ref('stg_' ~ t) }} {{ source('crm', t) }}{% endfor %}",
                                  ["model.p.stg_orders", "source.p.crm.orders", "model.p.int_orders"]),
    },
}


def test_the_checks_find_violations_in_a_hand_made_manifest() -> None:
    assert layer_violations(SAMPLE) == [
        "intermediate model int_orders <- marts model mart_a: intermediate reads only intermediate, seed, staging",
        "marts model mart_a <- staging model stg_orders: marts reads only intermediate, seed",
        "marts model mart_b: meta.reads_marts names mart_z, which it does not read",
        "marts model mart_c <- marts model mart_b: a mart not declared in its meta.reads_marts",
        "staging model stg_all <- intermediate model int_orders: staging reads only seed, source, staging",
    ]
    assert hidden_edges(SAMPLE) == [
        "intermediate model int_orders <- marts model mart_a: not written in models/intermediate/int_orders.sql"
        " (project macros it calls: as_of_date)",
        "staging model stg_all <- intermediate model int_orders: not written in models/staging/stg_all.sql"
        " (project macros it calls: as_of_date)",
    ]
    assert longest_mart_chain(SAMPLE) == ["mart_a", "mart_b", "mart_c", "mart_d"]


# --- The project -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def manifest() -> dict:
    return dbt_artifacts.load("manifest.json")


def test_every_layer_has_models(manifest: dict) -> None:
    """Guards the other checks against passing on nothing (a moved folder, another manifest)."""
    found = {layer(node) for node in project_models(manifest).values()}
    assert set(LAYERS) <= found, f"layers with no model: {sorted(set(LAYERS) - found)}"


def test_models_read_only_what_their_layer_allows(manifest: dict) -> None:
    violations = layer_violations(manifest)
    assert not violations, f"{len(violations)} edges break the layering:\n" + "\n".join(violations)


def test_no_macro_adds_a_hidden_edge(manifest: dict) -> None:
    violations = hidden_edges(manifest)
    assert not violations, (f"{len(violations)} edges come from macros, not from a ref()/source() in the model:\n"
                            + "\n".join(violations))


def test_marts_read_marts_at_most_two_deep(manifest: dict) -> None:
    chain = longest_mart_chain(manifest)
    assert len(chain) - 1 <= MAX_MART_CHAIN_EDGES, (
        f"the longest chain of marts has {len(chain) - 1} edges (at most {MAX_MART_CHAIN_EDGES}): "
        + " -> ".join(chain))
