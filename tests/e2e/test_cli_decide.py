"""``aria decide``, ``aria schema`` and ``aria presets`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aria.cli import app
from aria.sizing.profiles import preset_names
from firms.catalog import Catalog

runner = CliRunner()
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.json"))
DECISION_KEYS = {
    "status",
    "lots",
    "risk_amount",
    "notional",
    "stop",
    "take_profit",
    "base_lots",
    "factors",
    "binding",
    "reject_codes",
    "input_hash",
    "profile",
    "rulebook",
}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_every_example_decides(example: Path) -> None:
    result = runner.invoke(app, ["decide", str(example)])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert decision.keys() >= DECISION_KEYS
    assert decision["status"] == "approved", decision["reasons"]
    again = json.loads(runner.invoke(app, ["decide", str(example)]).output)
    assert again == decision


def test_there_is_an_example_per_preset_and_per_builtin_firm(catalog: Catalog) -> None:
    names = {e.stem for e in EXAMPLES}
    assert {f"preset-{p}" for p in preset_names()} <= names
    assert {f"firm-{f}" for f in catalog.firms} <= names


def test_decide_reads_stdin() -> None:
    text = EXAMPLES[0].read_text()
    result = runner.invoke(app, ["decide", "-"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] in {"approved", "rejected"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"request": {}}', "account: Field required"),
        ("{not json", "not valid JSON"),
        ('{"x": NaN}', "NaN is not a number ARIA accepts"),
    ],
)
def test_invalid_input_exits_2_with_one_clear_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(body)
    result = runner.invoke(app, ["decide", str(path)])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_stop_on_the_wrong_side_names_the_field(tmp_path: Path) -> None:
    example = next(e for e in EXAMPLES if e.stem == "preset-aria")
    document = json.loads(example.read_text())
    assert document["request"]["side"] == "long"
    document["request"]["stop"] = "1.2000"  # above the 1.0850 entry
    document["request"].pop("stop_atr_multiple", None)
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(app, ["decide", str(path)])
    assert result.exit_code == 2
    assert "request: the stop of a long must be below the entry (1.0850)" in result.output


@pytest.mark.parametrize("name", ["scenario", "decision"])
def test_schemas_are_json_schemas(name: str) -> None:
    result = runner.invoke(app, ["schema", name])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["type"] == "object"
    assert "properties" in schema


def test_presets_are_listed() -> None:
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0
    for name in preset_names():
        assert name in result.output


def _example_with(tmp_path: Path, change: dict[str, dict[str, object]]) -> Path:
    document = json.loads(next(e for e in EXAMPLES if e.stem == "preset-aria").read_text())
    for key, values in change.items():
        document[key].update(values)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(document))
    return path


def test_a_request_for_another_symbol_than_the_instrument_exits_2(tmp_path: Path) -> None:
    path = _example_with(tmp_path, {"request": {"symbol": "XAUUSD"}})  # instrument: EURUSD
    result = runner.invoke(app, ["decide", str(path)])
    assert result.exit_code == 2, result.output
    assert "request.symbol: XAUUSD is not the scenario's instrument EURUSD" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("equity", ["0", "-1500"])
def test_no_equity_exits_2(tmp_path: Path, equity: str) -> None:
    path = _example_with(tmp_path, {"account": {"equity": equity}})
    result = runner.invoke(app, ["decide", str(path)])
    assert result.exit_code == 2, result.output
    assert f"account: equity is {equity}: a trade can only be sized on positive equity" in (
        " ".join(result.output.split())
    )
