"""The dbt artefacts of the build that made the warehouse under test.

`make test-dbt` runs `dbt build` and `dbt docs generate` with target path
target/test; $CRM_DBT_TARGET_PATH names another one (e.g. a helper's own build).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import PROJECT_DIR


def target_path() -> Path:
    path = Path(os.environ.get("CRM_DBT_TARGET_PATH", "target/test"))
    return path if path.is_absolute() else PROJECT_DIR / path


def artefact_path(name: str) -> Path:
    path = target_path() / name
    if not path.exists():
        pytest.fail(f"{path} missing: run `make test-dbt` (dbt build + dbt docs generate) first")
    return path


def load(name: str) -> dict:
    return json.loads(artefact_path(name).read_text())
