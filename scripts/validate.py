"""Validate a warehouse's public marts with Great Expectations (issues 9 and 20).

Runs the suites of expectations/marts.yml on a DuckDB file (opened read-only)
through Great Expectations' pandas datasource (GX 1.x: ephemeral context,
dataframe asset, batch definition, ExpectationSuite, ValidationDefinition): the
checks dbt's data tests do not make. Relation suites (row counts across marts,
staging and intermediate, cohort sizes, freshness against as_of_date) validate a
one-row frame computed by SQL; optional mart suites (distributions) validate a
whole mart read into pandas. Writes an HTML result page (data-docs style) and
exits non-zero, naming each failed expectation and its suite, when any fails.

    python scripts/validate.py --warehouse warehouse/crm.duckdb

Exit codes: 0 every expectation passed, 1 an expectation failed, 2 the warehouse
or the suites could not be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import logging
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_SUITES = PROJECT_DIR / "expectations" / "marts.yml"
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Outcome:
    """The result of one expectation on one mart (or relation)."""

    suite: str
    expectation: str
    kwargs: dict[str, object]
    success: bool
    observed: str


@dataclass
class Report:
    """Every outcome of a validation run, and the suites that were skipped."""

    warehouse: Path
    as_of_date: str
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]


class ValidationSetupError(Exception):
    """The warehouse or the suites cannot be read: a clear message, no traceback."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CRM_DUCKDB_PATH", str(PROJECT_DIR / "warehouse" / "crm.duckdb")),
        help="DuckDB file to validate (default: $CRM_DUCKDB_PATH or warehouse/crm.duckdb)",
    )
    parser.add_argument("--suites", default=str(DEFAULT_SUITES), help="expectation suites (YAML)")
    parser.add_argument(
        "--as-of-date",
        default=None,
        help="expected as_of_date (YYYY-MM-DD); default: the as_of_date recorded in marts.customer_rfm",
    )
    parser.add_argument("--rfm-bins", type=int, default=5, help="var rfm_bins of the build (default 5)")
    parser.add_argument(
        "--max-staleness-days",
        type=int,
        default=7,
        help="most days allowed between the last purchase and as_of_date (default 7)",
    )
    parser.add_argument(
        "--html",
        default=None,
        help="HTML result page (default: warehouse/data_docs/<warehouse file stem>.html)",
    )
    return parser.parse_args(argv)


def load_suites(path: Path) -> dict[str, object]:
    import yaml

    if not path.is_file():
        raise ValidationSetupError(f"suites file {path} not found")
    try:
        suites = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValidationSetupError(f"suites file {path} is not valid YAML: {error}") from None
    if not isinstance(suites, dict) or not (suites.get("relations") or suites.get("marts")):
        raise ValidationSetupError(f"suites file {path} has no 'relations' or 'marts' suite")
    return suites


def connect(path: Path):
    import duckdb

    if not path.is_file():
        raise ValidationSetupError(f"warehouse {path} does not exist")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise ValidationSetupError(f"cannot open warehouse {path} read-only: {error}") from None


def existing_relations(connection) -> set[str]:
    rows = connection.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall()
    return {row[0] for row in rows}


def resolve_as_of_date(connection, relations: set[str], requested: str | None) -> str:
    if requested is not None:
        if not DATE_PATTERN.match(requested):
            raise ValidationSetupError(f"--as-of-date {requested!r} is not a date (YYYY-MM-DD)")
        try:
            dt.date.fromisoformat(requested)
        except ValueError as error:
            raise ValidationSetupError(f"--as-of-date {requested!r}: {error}") from None
        return requested
    if "marts.customer_rfm" in relations:
        value = connection.execute("select max(as_of_date) from marts.customer_rfm").fetchone()[0]
        if value is not None:
            return str(value)[:10]
    if "intermediate.int_build_context" in relations:
        value = connection.execute("select as_of_date from intermediate.int_build_context").fetchone()[0]
        if value is not None:
            return str(value)[:10]
    raise ValidationSetupError("cannot tell the warehouse's as_of_date: pass --as-of-date")


def lifecycle_params(connection, relations: set[str]) -> dict[str, list[str]]:
    """The lifecycle stage list of the warehouse under validation (the model
    int_lifecycle_stages_listed, made from the one definition in macros/lifecycle.sql)
    as the placeholders {lifecycle_stages}, {lifecycle_stages_or_prospect} and
    {lifecycle_segments} (new_<stage> / returning_<stage> and prospect)."""
    table = "intermediate.int_lifecycle_stages_listed"
    if table not in relations:
        return {}  # a suite that names a lifecycle placeholder then fails on the unresolved value
    stages = [row[0] for row in connection.execute(f"select lifecycle_stage from {table} order by stage_index").fetchall()]
    segments = [f"{customer_type}_{stage}" for customer_type in ("new", "returning") for stage in stages]
    return {
        "lifecycle_stages": stages,
        "lifecycle_stages_or_prospect": ["prospect", *stages],
        "lifecycle_segments": ["prospect", *segments],
    }


def substitute(value: object, params: dict[str, object]) -> object:
    """Replace a whole-string placeholder like "{rfm_bins}" by its (typed) value."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in params:
        return params[value[1:-1]]
    if isinstance(value, list):
        return [substitute(item, params) for item in value]
    return value


def make_expectation(name: str, kwargs: dict[str, object]):
    import great_expectations as gx

    class_name = "".join(part.capitalize() for part in name.split("_"))
    expectation_class = getattr(gx.expectations, class_name, None)
    if expectation_class is None:
        raise ValidationSetupError(f"unknown expectation '{name}' (no gx.expectations.{class_name})")
    try:
        return expectation_class(**kwargs)
    except Exception as error:  # pydantic validation of the kwargs
        raise ValidationSetupError(f"expectation '{name}' with {kwargs}: {error}") from None


def parse_expectations(entries: list[object], params: dict[str, object], suite: str) -> list[tuple[str, dict]]:
    parsed = []
    for entry in entries or []:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ValidationSetupError(f"suite {suite}: each expectation is one '<type>: {{kwargs}}' mapping")
        (name, kwargs), = entry.items()
        kwargs = {key: substitute(value, params) for key, value in (kwargs or {}).items()}
        parsed.append((name, kwargs))
    return parsed


def run_suite(context, suite_name: str, frame, expectations: list[tuple[str, dict]]) -> list[Outcome]:
    """Validate one dataframe with one suite through the GX pandas datasource."""
    import great_expectations as gx

    datasource = context.data_sources.add_pandas(f"ds_{suite_name}")
    asset = datasource.add_dataframe_asset(name=suite_name)
    batch_definition = asset.add_batch_definition_whole_dataframe(f"{suite_name}_whole")
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    missing_columns = []
    for name, kwargs in expectations:
        columns = [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
        columns += list(kwargs.get("column_list", []))
        absent = [column for column in columns if column not in frame.columns]
        if absent:
            missing_columns.append(Outcome(suite_name, name, kwargs, False, f"column(s) {absent} missing from {suite_name}"))
            continue
        suite.add_expectation(make_expectation(name, kwargs))
    outcomes = list(missing_columns)
    if not suite.expectations:
        return outcomes
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"validate_{suite_name}", data=batch_definition, suite=suite)
    )
    result = definition.run(batch_parameters={"dataframe": frame})
    for item in result.results:
        config = item.expectation_config
        kwargs = {key: value for key, value in config.kwargs.items() if key != "batch_id"}
        outcomes.append(Outcome(suite_name, config.type, kwargs, bool(item.success), describe_observed(item)))
    return outcomes


def describe_observed(item) -> str:
    if item.exception_info and item.exception_info.get("raised_exception"):
        return "error: " + str(item.exception_info.get("exception_message"))
    result = item.result or {}
    if "observed_value" in result:
        return f"observed {result['observed_value']!r}"
    if "unexpected_count" in result:
        sample = result.get("partial_unexpected_list") or []
        text = f"{result['unexpected_count']} unexpected of {result.get('element_count')}"
        return text + (f", e.g. {sample[:5]!r}" if sample else "")
    return ""


def validate(
    warehouse: Path, suites_path: Path, as_of_date: str | None, rfm_bins: int, max_staleness_days: int
) -> Report:
    suites = load_suites(suites_path)
    connection = connect(warehouse)
    try:
        relations = existing_relations(connection)
        if not any(name.startswith("marts.") for name in relations):
            raise ValidationSetupError(f"warehouse {warehouse} has no schema 'marts' (not built?)")
        as_of = resolve_as_of_date(connection, relations, as_of_date)
        params = {"rfm_bins": rfm_bins, "max_staleness_days": max_staleness_days, "as_of_date": as_of}
        params.update(lifecycle_params(connection, relations))
        report = Report(warehouse=warehouse, as_of_date=as_of)

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        for mart, entries in (suites.get("marts") or {}).items():
            if f"marts.{mart}" not in relations:
                report.skipped.append(f"{mart}: not in this warehouse")
                continue
            expectations = parse_expectations(entries, params, mart)
            frame = connection.execute(f'select * from marts."{mart}"').df()
            report.outcomes += run_suite(context, mart, frame, expectations)
        date_literal = f"date '{as_of}'"
        for relation, spec in (suites.get("relations") or {}).items():
            missing = [name for name in spec.get("requires", []) if name not in relations]
            # A mart may be absent on purpose (the CLV marts on Spark); a staging or
            # intermediate table the check reads is part of every build: its absence means
            # the suite no longer matches the DAG, and a silent skip would hide that.
            inner = [name for name in missing if not name.startswith("marts.")]
            if inner:
                report.outcomes.append(Outcome(relation, "requires", {}, False,
                                               f"{', '.join(inner)} not in the warehouse: update {suites_path.name}"))
                continue
            if missing:
                report.skipped.append(f"{relation}: needs {', '.join(missing)}")
                continue
            expectations = parse_expectations(spec.get("expectations"), params, relation)
            sql = spec["sql"].replace("{as_of_date}", date_literal)
            try:
                frame = connection.execute(sql).df()
            except Exception as error:  # a broken relation query is a failed check, not a crash
                report.outcomes.append(Outcome(relation, "query", {}, False, f"query failed: {error}"))
                continue
            report.outcomes += run_suite(context, relation, frame, expectations)
        return report
    finally:
        connection.close()


def write_html(report: Report, path: Path) -> None:
    """A data-docs style page: a summary, then one table per suite."""
    path.parent.mkdir(parents=True, exist_ok=True)
    status = "FAILED" if report.failures else "PASSED"
    suites: dict[str, list[Outcome]] = {}
    for outcome in report.outcomes:
        suites.setdefault(outcome.suite, []).append(outcome)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Validation results</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left}"
        ".ok{color:#176f2c}.ko{color:#b00020;font-weight:bold}</style></head><body>",
        f"<h1>Great Expectations validation: <span class='{'ko' if report.failures else 'ok'}'>{status}</span></h1>",
        f"<p>Warehouse <code>{html.escape(str(report.warehouse))}</code>, as_of_date {report.as_of_date}, "
        f"validated at {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC.</p>",
        f"<p>{len(report.outcomes)} expectations on {len(suites)} suites, {len(report.failures)} failed.</p>",
    ]
    if report.skipped:
        parts.append("<h2>Skipped</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in report.skipped) + "</ul>")
    for suite, outcomes in suites.items():
        failed = sum(1 for outcome in outcomes if not outcome.success)
        parts.append(f"<h2 id='{html.escape(suite)}'>{html.escape(suite)} "
                     f"<small class='{'ko' if failed else 'ok'}'>{len(outcomes) - failed}/{len(outcomes)} passed</small></h2>")
        parts.append("<table><tr><th>status</th><th>expectation</th><th>arguments</th><th>observed</th></tr>")
        for outcome in outcomes:
            parts.append(
                f"<tr><td class='{'ok' if outcome.success else 'ko'}'>{'pass' if outcome.success else 'FAIL'}</td>"
                f"<td>{html.escape(outcome.expectation)}</td><td><code>{html.escape(str(outcome.kwargs))}</code></td>"
                f"<td>{html.escape(outcome.observed)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    args = parse_args(argv)
    warehouse = Path(args.warehouse)
    html_path = Path(args.html) if args.html else PROJECT_DIR / "warehouse" / "data_docs" / f"{warehouse.stem}.html"
    try:
        report = validate(warehouse, Path(args.suites), args.as_of_date, args.rfm_bins, args.max_staleness_days)
    except ValidationSetupError as error:
        print(f"validate: {error}", file=sys.stderr)
        return 2
    write_html(report, html_path)
    for note in report.skipped:
        print(f"validate: skipped {note}")
    passed = len(report.outcomes) - len(report.failures)
    for failure in report.failures:
        arguments = ", ".join(f"{key}={value!r}" for key, value in failure.kwargs.items())
        print(f"FAILED {failure.suite}: {failure.expectation}({arguments}) -- {failure.observed}")
    verdict = "FAILED" if report.failures else "PASSED"
    print(
        f"validate: {verdict}: {passed} of {len(report.outcomes)} expectations passed on {warehouse} "
        f"(as_of_date {report.as_of_date}); results: {html_path}"
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
