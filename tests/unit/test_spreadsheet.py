"""CSV cells a spreadsheet would run as formulas are neutralised; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from aria.reports.spreadsheet import csv_text, safe_cell


@pytest.mark.parametrize(
    "text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=x", "-", "-Infinity", "+NaN"]
)
def test_formula_like_text_gets_a_leading_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["-250.00", "+1.5", "-1e3", "0", "review", "", None, 3, Decimal("-2")]
)
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_text_neutralises_every_column() -> None:
    text = csv_text(("a", "b"), [{"a": "=HYPERLINK(1)", "b": "-12.5"}])
    (row,) = csv.DictReader(io.StringIO(text))
    assert row == {"a": "'=HYPERLINK(1)", "b": "-12.5"}
