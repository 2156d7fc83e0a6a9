#!/usr/bin/env python3
"""Shape of the dbt DAG from a manifest.json, as markdown tables (issue 20, item 9).

Reads the manifest of a `dbt build` (or `dbt parse`) and prints:

- nodes by resource type and layer (staging / intermediate / marts / metric_tests /
  other models, seeds, sources), the layer taken from the model's folder under models/;
- DAG edges into models, by the parent's kind, and how many of them come from macros:
  a parent in depends_on that no ref() / source() written in the model's own raw_code
  names (a macro called by the model added it);
- the longest chain (in edges) through models, seeds and sources, and the chain itself;
  the longest chain among marts alone;
- marts that read staging models (stg_ / base_), marts that read other marts;
- data tests (by test name) and unit tests.

    python scripts/dag_stats.py target/publish/manifest.json [--json stats.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# ref('model'), ref("package", "model"), dbt.ref('model') in a Python model; source('name', 'table').
REF_CALL = re.compile(r"""\bref\(\s*(['"])([^'"]+)\1(?:\s*,\s*(['"])([^'"]+)\3)?""")
SOURCE_CALL = re.compile(r"""\bsource\(\s*(['"])([^'"]+)\1\s*,\s*(['"])([^'"]+)\3""")
# A name the model computes in its own code, e.g. in a loop over the inputs:
# ref('base_crm__' ~ input_name) names every model with that prefix,
# source('crm_raw', input_name) every table of that source.
REF_PREFIX_CALL = re.compile(r"""\bref\(\s*(['"])([^'"]+)\1\s*~""")
SOURCE_ANY_CALL = re.compile(r"""\bsource\(\s*(['"])([^'"]+)\1\s*,\s*[A-Za-z_][A-Za-z_0-9]*\s*[,)]""")
LAYERS = ("staging", "intermediate", "marts", "metric_tests")


def model_layer(node: dict) -> str:
    """staging / intermediate / marts / metric_tests from the folder under the model path, else 'other'."""
    parts = Path(node.get("original_file_path", "")).parts
    folder = parts[1] if len(parts) > 2 else ""
    return folder if folder in LAYERS else "other"


def written_parents(node: dict) -> set[tuple[str, ...]]:
    """The refs and sources written in the model's own code: ('ref', model) / ('source', name, table)."""
    code = node.get("raw_code") or ""
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


def parent_key(parent: dict) -> tuple[str, ...]:
    if parent["resource_type"] == "source":
        return ("source", parent["source_name"], parent["name"])
    return ("ref", parent["name"])


@dataclass
class Edge:
    parent: str
    child: str
    from_macro: bool


@dataclass
class DagStats:
    nodes: Counter = field(default_factory=Counter)  # (resource type, layer) -> count
    edges: list[Edge] = field(default_factory=list)
    longest_chain: list[str] = field(default_factory=list)
    longest_mart_chain: list[str] = field(default_factory=list)
    marts_reading_staging: dict[str, list[str]] = field(default_factory=dict)
    marts_reading_marts: dict[str, list[str]] = field(default_factory=dict)
    data_tests: Counter = field(default_factory=Counter)
    unit_tests: int = 0


def all_nodes(manifest: dict) -> dict[str, dict]:
    """Every enabled node and source (a test of a disabled model stays in `nodes`, disabled)."""
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    return {uid: node for uid, node in nodes.items() if (node.get("config") or {}).get("enabled", True)}


def kind(node: dict) -> str:
    """A short label of a DAG node: model layer, or seed / source / snapshot."""
    if node["resource_type"] == "model":
        return model_layer(node)
    return node["resource_type"]


def longest_path(nodes: Iterable[str], parents: dict[str, list[str]]) -> list[str]:
    """The longest path (most edges) in a DAG given each node's parents; ties go to the first name."""
    members = set(nodes)

    @cache
    def best(node: str) -> tuple[int, tuple[str, ...]]:
        options = [best(parent) for parent in sorted(parents.get(node, [])) if parent in members]
        if not options:
            return 0, (node,)
        length, path = max(options, key=lambda option: option[0])  # first (by name) of the longest
        return length + 1, (*path, node)

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    chains = [best(node) for node in sorted(members)]
    return list(max(chains, key=lambda chain: chain[0])[1]) if chains else []


def analyse(manifest: dict) -> DagStats:
    stats = DagStats()
    nodes = all_nodes(manifest)
    dag_types = {"model", "seed", "source", "snapshot"}
    for node in nodes.values():
        if node["resource_type"] == "test":
            stats.data_tests[(node.get("test_metadata") or {}).get("name") or "singular"] += 1
        elif node["resource_type"] in dag_types:
            stats.nodes[(node["resource_type"], kind(node) if node["resource_type"] == "model" else "-")] += 1
    stats.unit_tests = len(manifest.get("unit_tests", {}))

    parents: dict[str, list[str]] = {}
    for unique_id, node in nodes.items():
        if node["resource_type"] != "model":
            continue
        written = written_parents(node)
        for parent_id in node.get("depends_on", {}).get("nodes", []):
            parent = nodes.get(parent_id)
            if parent is None or parent["resource_type"] not in dag_types:
                continue
            parents.setdefault(unique_id, []).append(parent_id)
            stats.edges.append(Edge(parent_id, unique_id, not is_written(parent_key(parent), written)))
            if kind(node) == "marts" and kind(parent) == "staging":
                stats.marts_reading_staging.setdefault(node["name"], []).append(parent["name"])
            if kind(node) == "marts" and kind(parent) == "marts":
                stats.marts_reading_marts.setdefault(node["name"], []).append(parent["name"])

    dag_ids = [uid for uid, node in nodes.items() if node["resource_type"] in dag_types]
    stats.longest_chain = longest_path(dag_ids, parents)
    mart_ids = [uid for uid in dag_ids if nodes[uid]["resource_type"] == "model" and kind(nodes[uid]) == "marts"]
    stats.longest_mart_chain = longest_path(mart_ids, parents)
    return stats


def short(unique_id: str) -> str:
    return unique_id.split(".", 2)[-1] if unique_id.startswith("source.") else unique_id.rsplit(".", 1)[-1]


def render(stats: DagStats, manifest: dict, title: str) -> str:
    nodes = all_nodes(manifest)
    lines = [f"### DAG of {title}", "", "| nodes | count |", "|---|---|"]
    order = {name: index for index, name in enumerate((*LAYERS, "other"))}
    for (resource_type, layer), count in sorted(stats.nodes.items(), key=lambda item: (item[0][0], order.get(item[0][1], 9))):
        lines.append(f"| {resource_type}{'' if layer == '-' else ' ' + layer} | {count} |")
    lines.append(f"| **DAG nodes** | **{sum(stats.nodes.values())}** |")

    by_kind: Counter = Counter()
    macro_by_kind: Counter = Counter()
    for edge in stats.edges:
        key = f"{kind(nodes[edge.parent])} -> {kind(nodes[edge.child])}"
        by_kind[key] += 1
        macro_by_kind[key] += edge.from_macro
    lines += ["", "| edges into models (parent -> child) | edges | from macros |", "|---|---|---|"]
    for key, count in sorted(by_kind.items()):
        lines.append(f"| {key} | {count} | {macro_by_kind[key]} |")
    from_macro = [edge for edge in stats.edges if edge.from_macro]
    lines.append(f"| **all** | **{len(stats.edges)}** | **{len(from_macro)}** |")
    macro_parents = Counter(short(edge.parent) for edge in from_macro)
    if macro_parents:
        lines += ["", "Parents of the edges that come from macros: "
                  + ", ".join(f"`{name}` ({count})" for name, count in macro_parents.most_common()) + "."]

    def names(mapping: dict[str, list[str]]) -> int:
        return sum(len(value) for value in mapping.values())

    chain = " -> ".join(short(uid) for uid in stats.longest_chain)
    mart_chain = " -> ".join(short(uid) for uid in stats.longest_mart_chain)
    lines += [
        "",
        "| shape | value |",
        "|---|---|",
        f"| longest chain (edges) | {max(len(stats.longest_chain) - 1, 0)} |",
        f"| longest chain among marts (edges) | {max(len(stats.longest_mart_chain) - 1, 0)} |",
        f"| marts reading staging (stg_ / base_) | {len(stats.marts_reading_staging)} marts, "
        f"{names(stats.marts_reading_staging)} edges |",
        f"| marts reading other marts | {len(stats.marts_reading_marts)} marts, {names(stats.marts_reading_marts)} edges |",
        f"| data tests | {sum(stats.data_tests.values())} |",
        f"| unit tests | {stats.unit_tests} |",
        "",
        f"Longest chain: {chain}",
        "",
        f"Longest chain among marts: {mart_chain}",
        "",
        "Marts reading other marts: " + ("; ".join(
            f"`{mart}` <- {', '.join(sorted(parents))}" for mart, parents in sorted(stats.marts_reading_marts.items()))
            or "none") + ".",
        "",
        "| data tests by test | count |",
        "|---|---|",
    ]
    lines += [f"| {name} | {count} |" for name, count in stats.data_tests.most_common()]
    return "\n".join(lines) + "\n"


def as_json(stats: DagStats) -> dict[str, object]:
    return {
        "nodes": {f"{resource_type} {layer}".strip(" -"): count for (resource_type, layer), count in stats.nodes.items()},
        "edges": len(stats.edges),
        "edges_from_macros": sum(edge.from_macro for edge in stats.edges),
        "macro_edges": [[edge.parent, edge.child] for edge in stats.edges if edge.from_macro],
        "longest_chain": stats.longest_chain,
        "longest_mart_chain": stats.longest_mart_chain,
        "marts_reading_staging": stats.marts_reading_staging,
        "marts_reading_marts": stats.marts_reading_marts,
        "data_tests": dict(stats.data_tests),
        "unit_tests": stats.unit_tests,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", type=Path, nargs="?", default=Path("target/manifest.json"),
                        help="dbt manifest.json (default target/manifest.json)")
    parser.add_argument("--title", default=None, help="heading of the tables (default: the manifest path)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers and lists as JSON here")
    args = parser.parse_args(argv)
    if not args.manifest.is_file():
        print(f"dag_stats: {args.manifest} not found (run dbt parse or dbt build first)", file=sys.stderr)
        return 2
    manifest = json.loads(args.manifest.read_text())
    stats = analyse(manifest)
    print(render(stats, manifest, args.title or str(args.manifest)), end="")
    if args.json:
        args.json.write_text(json.dumps(as_json(stats), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
