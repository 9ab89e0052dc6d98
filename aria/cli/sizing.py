"""``aria decide``, ``aria schema`` and ``aria presets``: the pure pipeline on the command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from aria.cli.firms import RulesOption, catalog_from, err, fail, failed, out

if TYPE_CHECKING:
    from aria.sizing.decision import Decision
    from aria.sizing.instruments import InstrumentCatalog

InstrumentsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--instruments",
        "-i",
        help="a user instrument file (repeatable; also ARIA_INSTRUMENT_FILES)",
    ),
]


def instruments_from(files: list[Path] | None) -> InstrumentCatalog:
    """The instrument catalog with the settings' files and any given on the command line."""
    from aria.settings import Settings
    from aria.sizing.errors import SizingError
    from aria.sizing.instruments import load_instruments

    try:
        return load_instruments([*Settings().instrument_files, *(files or [])])
    except SizingError as exc:
        raise failed(exc) from None


def _read(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"{source}: cannot be read: {exc.strerror or exc}") from None
    try:
        return json.loads(text, parse_float=str, parse_int=str, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise fail(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise fail(f"{source}: {exc}") from None
    except RecursionError:
        raise fail(f"{source}: nests too deeply to be a sizing request") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number ARIA accepts")


def decision_json(decision: Decision) -> dict[str, Any]:
    """The decision as a JSON-ready dict (money as exact decimal strings)."""
    return decision.model_dump(mode="json")


def decide(
    source: Annotated[
        str, typer.Argument(metavar="FILE", help="a scenario JSON file, or - for stdin")
    ],
    rules: RulesOption = None,
    instruments: InstrumentsOption = None,
) -> None:
    """Size one trade from a scenario document and print the decision as JSON."""
    from aria.sizing.errors import SizingError
    from aria.sizing.pipeline import decide as run_pipeline
    from aria.sizing.scenario import load_scenario

    data = _read(source)
    catalog, instrument_catalog = catalog_from(rules), instruments_from(instruments)
    try:
        inputs = load_scenario(data, catalog, instrument_catalog)
        decision = run_pipeline(inputs)
    except SizingError as exc:
        raise failed(exc, f"{source}: {exc}") from None
    out.print_json(json.dumps(decision_json(decision), ensure_ascii=False))


class SchemaName(StrEnum):
    """Documents ARIA publishes a JSON Schema for."""

    SCENARIO = "scenario"
    DECISION = "decision"


def schema(name: Annotated[SchemaName, typer.Argument(help="scenario or decision")]) -> None:
    """Print the JSON Schema of a scenario or a decision."""
    from aria.sizing.decision import Decision
    from aria.sizing.scenario import Scenario

    model = Scenario if name is SchemaName.SCENARIO else Decision
    typer.echo(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False))


def presets() -> None:
    """List the sizing presets and what each does."""
    from aria.sizing.profiles import preset_document, preset_names, resolve_profile

    table = Table(title="Sizing presets")
    for column in ("Preset", "Method", "Combine", "Description"):
        table.add_column(column, overflow="fold")
    for name in preset_names():
        profile = resolve_profile(name)
        table.add_row(
            name,
            profile.method.value,
            profile.adjusters.combine,
            preset_document(name).get("description", ""),
        )
    out.print(table)
    err.print("the default preset is 'aria'", style="dim")
