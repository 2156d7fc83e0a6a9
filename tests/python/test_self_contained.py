"""The project owns its definitions (issue 20): nothing points outside the repository.

Someone who clones the project must find every definition it cites inside it. Two
checks, both over the files git tracks (no warehouse needed):

- no tracked text file mentions the old external contract (the sibling `shared`
  folder or its design file); the strings are built by concatenation below so that
  this file does not match itself;
- docs/definitions.md, which replaced that contract, keeps the section headings the
  rest of the project links to, and names every public mart (one per .sql file under
  models/marts).
"""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import PROJECT_DIR

DEFINITIONS = PROJECT_DIR / "docs" / "definitions.md"
MARTS_DIR = PROJECT_DIR / "models" / "marts"

# Built by concatenation so that this file does not contain the strings it bans.
FORBIDDEN = ("../" + "shared", "DESIGN" + ".md")

# Headings that model descriptions, macros and docs link to (as #anchors).
REQUIRED_HEADINGS = (
    "Layers and layout",
    "Raw inputs",
    "Inputs and columns",
    "Keys, time zones and CSV dialect",
    "Rejections and row accounting",
    "Definitions",
    "Build dates",
    "Purchases and occasions",
    "Customer state",
    "Lifecycle",
    "Cohorts and retention",
    "Rates",
    "Weekly monitors",
    "Gap analysis",
    "Predicted CLV",
    "Public marts",
    "PII rules",
)


def tracked_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files", "-z"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout: tracked files unknown")
    return [name for name in result.stdout.decode("utf-8").split("\0") if name]


def read_text(relative: str) -> str | None:
    """The file's text, or None for a binary file (a NUL byte or not UTF-8) or a deleted one."""
    path = PROJECT_DIR / relative
    if not path.is_file():
        return None
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def test_no_tracked_file_points_outside_the_repository():
    offenders = []
    for relative in tracked_files():
        text = read_text(relative)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for needle in FORBIDDEN:
                if needle in line:
                    offenders.append(f"{relative}:{number}: {needle}")
    assert not offenders, (
        "files point outside the repository; cite docs/definitions.md instead:\n"
        + "\n".join(offenders)
    )


@pytest.fixture(scope="module")
def definitions() -> str:
    assert DEFINITIONS.is_file(), "docs/definitions.md is missing"
    return DEFINITIONS.read_text(encoding="utf-8")


def test_definitions_keep_their_headings(definitions):
    headings = {
        match.group(1).strip() for match in re.finditer(r"^#{2,4} (.+)$", definitions, re.M)
    }
    missing = [heading for heading in REQUIRED_HEADINGS if heading not in headings]
    assert not missing, f"docs/definitions.md lost the headings {missing}"


def test_every_link_to_definitions_has_its_anchor(definitions):
    anchors = {
        anchor(match.group(1)) for match in re.finditer(r"^#{1,4} (.+)$", definitions, re.M)
    }
    broken = []
    for relative in tracked_files():
        text = read_text(relative)
        if text is None:
            continue
        for target in re.findall(r"definitions\.md#([A-Za-z0-9_-]+)", text):
            if target not in anchors:
                broken.append(f"{relative}: #{target}")
    assert not broken, "links to missing sections of docs/definitions.md:\n" + "\n".join(broken)


def test_definitions_name_every_public_mart(definitions):
    marts = sorted(path.stem for path in MARTS_DIR.rglob("*.sql"))
    assert marts, "no mart found under models/marts"
    missing = [mart for mart in marts if f"`{mart}`" not in definitions]
    assert not missing, f"docs/definitions.md does not describe the marts {missing}"
