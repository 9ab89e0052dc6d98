"""``aria simulate``: many accounts per firm plan on real bars, ARIA against a naive baseline."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aria.cli.firms import fail, failed, out
from aria.reports.charts import png, simulation_chart
from aria.simulation.bars import Bar, Series
from aria.simulation.engine import simulate as run_simulation
from aria.simulation.result import SimulationResult
from aria.simulation.setup import DEFAULT_PLANS, SimConfig, default_policies
from aria.sizing.errors import SizingError
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog

SAMPLE = ("eurusd", "gbpusd", "nzdusd", "eurgbp", "xauusd", "spy")
FUTURES_PROXY = Decimal(10)  # ES and MES from SPY: the index is about ten times the ETF


def _read(symbol: str, text: str, where: str) -> Series:
    """Bars from CSV text with the columns date, open, high, low, close."""
    bars = []
    rows = csv.DictReader(text.splitlines())
    need = {"date", "open", "high", "low", "close"}
    if not need <= set(rows.fieldnames or ()):
        raise fail(f"{where}: the header needs {', '.join(sorted(need))}")
    for line, row in enumerate(rows, start=2):
        try:
            bars.append(
                Bar(
                    dt.date.fromisoformat(row["date"][:10]),
                    *(Decimal(row[k]) for k in ("open", "high", "low", "close")),
                )
            )
        except (ValueError, InvalidOperation):
            raise fail(f"{where}: line {line}: not a date and four prices") from None
    try:
        return Series.of(symbol, bars)
    except SizingError as exc:
        raise failed(exc, f"{where}: {exc}") from None


def _sample() -> dict[str, Series]:
    folder = resources.files("aria.demo") / "data"
    series = {
        name.upper(): _read(name.upper(), (folder / f"{name}.csv").read_text("utf-8"), name)
        for name in SAMPLE
    }
    spy = series.pop("SPY")
    series["ES"] = spy.scaled("ES", FUTURES_PROXY)
    series["MES"] = spy.scaled("MES", FUTURES_PROXY)
    return series


def _files(paths: list[Path]) -> dict[str, Series]:
    series = {}
    for path in paths:
        symbol, _, name = path.name.partition("=")
        if name:  # SYMBOL=path
            path = path.with_name(name)
        else:
            symbol = path.stem
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise fail(f"{path}: cannot be read: {exc.strerror or exc}") from None
        series[symbol.upper()] = _read(symbol.upper(), text, str(path))
    return series


def _table(result: SimulationResult, config: SimConfig) -> Table:
    table = Table(
        title=f"{config.accounts} accounts per plan, {result.days} days, seed {config.seed},"
        f" gaps {'on' if config.gaps else 'off'}"
    )
    for column in ("Plan", "Policy", "Breached", "Daily", "Max loss", "By gaps", "Passed"):
        table.add_column(column, justify="left" if column in ("Plan", "Policy") else "right")
    table.add_column("Trades", justify="right")
    table.add_column("Rejects (most common)")
    for plan in [p.key for p in config.plans]:
        for policy in config.policies:
            o = result.outcome(policy, plan)
            common = ", ".join(f"{code} {n}" for code, n in o.rejects.most_common(3)) or "—"
            style = "bold" if policy == "aria" else ""
            table.add_row(
                plan,
                f"[{style}]{policy}[/]" if style else policy,
                f"[red]{o.breached}[/]" if o.breached else "0",
                str(o.breaches_daily),
                str(o.breaches_max_loss),
                str(o.gap_breaches),
                str(o.passed),
                str(o.trades),
                common,
            )
        table.add_section()
    return table


def simulate(
    accounts: Annotated[int, typer.Option(help="accounts per firm plan")] = 10,
    seed: Annotated[int, typer.Option(help="seed of the signals")] = 7,
    no_gaps: Annotated[
        bool, typer.Option("--no-gaps", help="stops fill at their price even through a gap")
    ] = False,
    signal_rate: Annotated[float, typer.Option(help="chance of a signal per account per day")] = (
        0.35
    ),
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", help="aria, baseline or a preset (repeatable; default all)"),
    ] = None,
    plan: Annotated[
        list[str] | None, typer.Option("--plan", help="firm/plan of the defaults (repeatable)")
    ] = None,
    bars: Annotated[
        list[Path] | None,
        typer.Option(
            "--bars",
            help="a CSV of daily bars (date, open, high, low, close), named by its file or"
            " SYMBOL=file; default: the shipped sample",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
    chart: Annotated[Path | None, typer.Option(help="write a PNG chart of the results")] = None,
) -> None:
    """Replay real bars for many accounts per firm plan: ARIA, the baseline and each preset.

    Every policy sees the same seeded signals (a random symbol and side, entered at the
    open, the stop 2 ATR away and the target twice that) and the same prices. Fills are
    pessimistic: a bar touching stop and target fills the stop; a gap through a stop fills
    at the open. The firm's rules judge every account after each step of every day. The
    shipped sample's futures (ES, MES) are SPY × 10.
    """
    known = {p.key: p for p in DEFAULT_PLANS}
    if plan and (unknown := sorted(set(plan) - set(known))):
        raise fail(f"unknown plan {', '.join(unknown)}; one of {', '.join(known)}")
    chosen = tuple(known[p] for p in plan) if plan else DEFAULT_PLANS
    policies = tuple(policy) if policy else default_policies()
    if unknown_policies := sorted(set(policies) - set(default_policies())):
        raise fail(
            f"unknown policy {', '.join(unknown_policies)}; one of {', '.join(default_policies())}"
        )
    try:
        config = SimConfig(
            plans=chosen,
            policies=policies,
            accounts=accounts,
            seed=seed,
            gaps=not no_gaps,
            signal_rate=signal_rate,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    series = _files(bars) if bars else _sample()
    try:
        result = run_simulation(config, series, load_catalog(), load_instruments())
    except SizingError as exc:
        raise failed(exc) from None
    if chart is not None:
        figure = simulation_chart(
            [p.key for p in config.plans],
            config.policies,
            {pol: {k: o.breached for k, o in v.items()} for pol, v in result.outcomes.items()},
            {pol: {k: o.passed for k, o in v.items()} for pol, v in result.outcomes.items()},
            config.accounts,
        )
        chart.write_bytes(png(figure))
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        out.print(_table(result, config))
        if chart is not None:
            out.print(f"chart: {chart}")
