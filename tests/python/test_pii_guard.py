"""PII guard: no mart exposes the raw members' emails, phone numbers or names.

Scans every table and view in schema `marts` of the warehouse under test: the
column names, and every value of every text column, against
- the raw members' emails and phone numbers (seeds/raw_members.csv),
- the person names embedded in those emails ("zoey.nguyen570@..." -> "zoey nguyen"),
- generic email and phone-number patterns.
Any hit fails, naming the mart, the column and the value.
"""

from __future__ import annotations

import re

import pytest

import reference
from conftest import SEEDS_DIR

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_PATTERN = re.compile(r"(?<![\w-])\+?\d{1,3}?[\s.-]?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w-])")
PII_COLUMN_NAMES = {
    "email", "email_address", "e_mail", "phone", "phone_number", "mobile", "mobile_phone",
    "name", "first_name", "last_name", "full_name", "customer_name", "member_name", "birth_date",
}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture(scope="module")
def raw_pii() -> dict[str, set[str]]:
    members = reference.read_raw_csv(SEEDS_DIR / "raw_members.csv")
    emails = {email.lower() for email in members["email"].dropna()}
    phones = {_digits(phone) for phone in members["phone"].dropna() if len(_digits(phone)) >= 7}
    names = set()
    for email in emails:
        local = re.sub(r"\d+", "", email.split("@", 1)[0])
        parts = [part for part in re.split(r"[._-]", local) if part]
        if len(parts) >= 2:
            names.add(" ".join(parts))  # "zoey nguyen": a full name, never a business value
    assert emails and phones and names, "raw_members.csv has no PII to look for: the guard would prove nothing"
    return {"emails": emails, "phones": phones, "names": names}


@pytest.fixture(scope="module")
def mart_columns(warehouse) -> list[tuple[str, str, str]]:
    rows = warehouse.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' order by table_name, ordinal_position"
    ).fetchall()
    assert rows, "schema marts is empty"
    return rows


def test_no_mart_column_is_named_like_pii(mart_columns) -> None:
    hits = [f"marts.{table}.{column}" for table, column, _ in mart_columns if column.lower() in PII_COLUMN_NAMES]
    assert not hits, f"PII columns in marts: {hits}"


def test_no_mart_value_holds_raw_pii(warehouse, mart_columns, raw_pii) -> None:
    text_columns = [
        (table, column) for table, column, data_type in mart_columns
        if data_type.upper().startswith(("VARCHAR", "TEXT", "STRING", "CHAR"))
    ]
    assert text_columns, "no text column in marts: nothing scanned"
    hits: list[str] = []
    scanned = 0
    for table, column in text_columns:
        values = warehouse.execute(
            f'select distinct "{column}" from marts."{table}" where "{column}" is not null'
        ).fetchall()
        for (value,) in values:
            scanned += 1
            text = str(value)
            lowered = text.lower()
            normalised = " ".join(re.split(r"[\s._-]+", re.sub(r"\d+", "", lowered))).strip()
            if (
                lowered in raw_pii["emails"]
                or EMAIL_PATTERN.search(text)
                or (len(_digits(text)) >= 7 and _digits(text) in raw_pii["phones"])
                or PHONE_PATTERN.search(text)
                or normalised in raw_pii["names"]
                or _full_names_in(lowered, raw_pii["names"])
            ):
                hits.append(f"marts.{table}.{column} = {text!r}")
    assert scanned > 0
    assert not hits, f"{len(hits)} PII values in marts, e.g. {hits[:10]}"


def _full_names_in(text: str, names: set[str]) -> list[str]:
    """Full names ("first last") that appear inside a longer text value."""
    words = re.findall(r"[a-z]+", text)
    pairs = {f"{first} {last}" for first, last in zip(words, words[1:])}
    return [pair for pair in pairs if pair in names]


def test_the_guard_catches_a_leak(raw_pii) -> None:
    """The checks above can fail: a raw email, phone or name is detected."""
    email = sorted(raw_pii["emails"])[0]
    name = sorted(raw_pii["names"])[0]
    assert EMAIL_PATTERN.search(email)
    assert PHONE_PATTERN.search("+1-555-042-1370")
    assert _full_names_in(f"dear {name}, welcome", raw_pii["names"]) == [name]
