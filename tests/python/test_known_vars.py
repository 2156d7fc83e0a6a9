"""The unknown-var check (macros/known_vars.sql) knows exactly the vars of dbt_project.yml.

A var added to dbt_project.yml but not to crm_known_vars() would stop every build
that sets it; a name left in the macro after its var is gone would hide a typo.
"""

from __future__ import annotations

import re

import yaml

from conftest import PROJECT_DIR


def test_known_vars_match_dbt_project_vars() -> None:
    project_vars = set(yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"])
    macro = (PROJECT_DIR / "macros" / "known_vars.sql").read_text()
    listed = macro.split("{% macro crm_known_vars() %}")[1].split("{% endmacro %}")[0]
    known = set(re.findall(r"'([a-z0-9_]+)'", listed))
    assert known == project_vars, {"missing from the macro": project_vars - known, "not in dbt_project.yml": known - project_vars}
