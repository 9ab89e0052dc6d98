"""``aria simulate``: many accounts per firm plan on real bars, ARIA against a naive baseline."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from aria.cli.firms import fail, failed, out

if TYPE_CHECKING:
    from aria.simulation.bars import Series
    from aria.simulation.minute import MinuteSeries
    from aria.simulation.result import SimulationResult
    from aria.simulation.setup import SimConfig
    from aria.sizing.instruments import InstrumentCatalog
    from firms.news import EconomicEvent
    from firms.sessions import Calendar

SAMPLE = ("eurusd", "gbpusd", "nzdusd", "eurgbp", "xauusd", "spy")
MINUTE_SAMPLE = {"EURUSD": "eurusd", "XAUUSD": "xauusd", "GER40": "ger40", "SPY": "spy"}
MINUTE_NEWS = "news-m1.csv"  # the releases inside the shipped minute bars
FUTURES_PROXY = Decimal(10)  # ES and MES from SPY: the index is about ten times the ETF
TIMEFRAMES = ("1d", "1m")
_MARGIN = dt.timedelta(days=5)  # calendars reach past the bars: a weekend close after the last


def _rows(text: str, where: str) -> list[tuple[dt.datetime, Decimal, Decimal, Decimal, Decimal]]:
    """The bars of a CSV text, read as ``aria bars import`` reads them; a bad line fails."""
    from aria.simulation.bars import read_bars

    found = read_bars(text, where)
    if found.problems:
        more = f" (and {len(found.problems) - 1} more)" if len(found.problems) > 1 else ""
        raise fail(f"{found.problems[0]}{more}")
    return [(at, o, h, lo, c) for at, o, h, lo, c, _ in found.bars]


def _read(symbol: str, text: str, where: str) -> Series:
    """Daily bars from CSV text: a time column (date, datetime, ...), open, high, low, close."""
    from aria.simulation.bars import Bar, Series
    from aria.sizing.errors import SizingError

    bars = [Bar(at.date(), o, h, lo, c) for at, o, h, lo, c in _rows(text, where)]
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


def _read_minutes(symbol: str, text: str, where: str) -> MinuteSeries:
    """Minute bars from CSV text: a time column (UTC, the bar's start), open, high, low, close."""
    from aria.simulation.minute import MinuteBar, MinuteSeries
    from aria.sizing.errors import SizingError

    bars = [MinuteBar(at, o, h, lo, c) for at, o, h, lo, c in _rows(text, where)]
    try:
        return MinuteSeries.of(symbol, bars)
    except SizingError as exc:
        raise failed(exc, f"{where}: {exc}") from None


def _minute_sample() -> dict[str, MinuteSeries]:
    folder = resources.files("aria.demo") / "data"
    series = {
        symbol: _read_minutes(symbol, (folder / f"{name}-m1.csv").read_text("utf-8"), name)
        for symbol, name in MINUTE_SAMPLE.items()
    }
    spy = series.pop("SPY")
    series["ES"] = spy.scaled("ES", FUTURES_PROXY)
    series["MES"] = spy.scaled("MES", FUTURES_PROXY)
    return series


def _sample_news() -> list[EconomicEvent]:
    from firms.calendar_files import read_calendar

    text = (resources.files("aria.demo") / "data" / MINUTE_NEWS).read_text("utf-8")
    return read_calendar(text, MINUTE_NEWS)


def _news(path: Path | None) -> list[EconomicEvent]:
    from firms.calendar_files import read_calendar
    from firms.errors import CalendarFileError

    if path is None:
        return _sample_news()
    try:
        return read_calendar(_text(path), str(path))
    except CalendarFileError as exc:
        raise fail(str(exc)) from None


def _calendars(
    spans: dict[str, tuple[dt.datetime, dt.datetime]], instruments: InstrumentCatalog
) -> dict[str, Calendar]:
    """Each symbol's trading calendar over its bars (a symbol ARIA does not know gets none)."""
    from aria.calendars import CalendarUnavailable, calendar
    from aria.sizing.errors import SizingError
    from aria.sizing.instruments import calendar_of

    found = {}
    for symbol, (start, end) in spans.items():
        try:
            name = calendar_of(instruments.get(symbol))
            found[symbol] = calendar(name, start - _MARGIN, end + _MARGIN)
        except (SizingError, CalendarUnavailable):
            continue
    return found


def _day_span(series: Series) -> tuple[dt.datetime, dt.datetime]:
    first, last = series.bars[0].day, series.bars[-1].day
    return (
        dt.datetime.combine(first, dt.time(), dt.UTC),
        dt.datetime.combine(last, dt.time(), dt.UTC),
    )


def _minute_files(specs: list[str]) -> dict[str, MinuteSeries]:
    series = {}
    for spec in specs:
        symbol, where = _named(spec)
        series[symbol] = _read_minutes(symbol, _text(where), str(where))
    return series


def _named(spec: str) -> tuple[str, Path]:
    """``SYMBOL=PATH`` (any path: absolute, ``../x.csv``) or a path whose file name gives the
    symbol, MetaTrader style (``EURUSD1440.csv``, ``EURUSD_M1.csv``)."""
    from aria.simulation.bars import named

    symbol, sep, rest = spec.partition("=")
    if sep and symbol and "/" not in symbol and "\\" not in symbol:
        return symbol.strip().upper(), Path(rest)
    return named(Path(spec).name)[0], Path(spec)


def _text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise fail(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _files(specs: list[str]) -> dict[str, Series]:
    series = {}
    for spec in specs:
        symbol, where = _named(spec)
        series[symbol] = _read(symbol, _text(where), str(where))
    return series


def _table(result: SimulationResult, config: SimConfig, timeframe: str) -> Table:
    table = Table(
        title=f"{config.accounts} accounts per plan, {result.days} days of {timeframe} bars,"
        f" seed {config.seed}, gaps {'on' if config.gaps else 'off'}"
    )
    for column in (
        "Plan",
        "Policy",
        "Breached",
        "Daily",
        "Max loss",
        "By gaps",
        "Time rules",
        "Passed",
    ):
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
                ", ".join(f"{kind} {n}" for kind, n in sorted(o.time_breaches.items()) if n) or "0",
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
        list[str] | None,
        typer.Option(
            "--bars",
            help="a CSV of bars with the header aria bars import reads (a time column, open,"
            " high, low, close), as SYMBOL=PATH or a path named by its symbol (EURUSD1440.csv);"
            " default: the shipped sample",
        ),
    ] = None,
    timeframe: Annotated[
        str,
        typer.Option(
            help="1d: daily bars (judges overnight and weekend holding); 1m: minute bars (also"
            " flat-by times and news windows, each firm's reset at its real instant)"
        ),
    ] = "1d",
    news: Annotated[
        Path | None,
        typer.Option(
            help="an economic calendar (CSV or ICS) whose news windows the 1m replay judges;"
            " default: the releases inside the shipped minute bars"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
    chart: Annotated[Path | None, typer.Option(help="write a PNG chart of the results")] = None,
) -> None:
    """Replay real bars for many accounts per firm plan: ARIA, the baseline and each preset.

    Every policy sees the same seeded signals (a random symbol and side, entered at the
    open, the stop 2 ATR away and the target twice that) and the same prices. Fills are
    pessimistic: a bar touching stop and target fills the stop; a gap through a stop fills
    at the open.
    The firm's rules judge every account after each step of every day, its time rules
    too (flat-by, weekend, overnight and, on minute bars, news windows). The shipped sample's
    futures (ES, MES) are SPY × 10. With --timeframe 1m the default policies are ARIA and the
    baseline.
    """
    from aria.reports.charts import png, simulation_chart
    from aria.simulation.engine import simulate as run_simulation
    from aria.simulation.minute import simulate_minutes
    from aria.simulation.setup import (
        ARIA,
        BASELINE,
        DEFAULT_PLANS,
        MINUTE_PLANS,
        SimConfig,
        default_policies,
    )
    from aria.sizing.errors import SizingError
    from aria.sizing.instruments import load_instruments
    from firms.catalog import load_catalog

    if timeframe not in TIMEFRAMES:
        raise fail(f"unknown timeframe {timeframe}; one of {', '.join(TIMEFRAMES)}")
    minutes = timeframe == "1m"
    known = {p.key: p for p in (MINUTE_PLANS if minutes else DEFAULT_PLANS)}
    if plan and (unknown := sorted(set(plan) - set(known))):
        raise fail(f"unknown plan {', '.join(unknown)}; one of {', '.join(known)}")
    chosen = tuple(known[p] for p in plan) if plan else tuple(known.values())
    policies = tuple(policy) if policy else ((ARIA, BASELINE) if minutes else default_policies())
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
    instruments = load_instruments()
    try:
        if minutes:
            minute_series = _minute_files(bars) if bars else _minute_sample()
            spans = {s: (x.bars[0].at, x.bars[-1].at) for s, x in minute_series.items() if x.bars}
            result = simulate_minutes(
                config,
                minute_series,
                load_catalog(),
                instruments,
                _calendars(spans, instruments),
                _news(news),
            )
        else:
            series = _files(bars) if bars else _sample()
            spans = {s: _day_span(x) for s, x in series.items() if x.bars}
            result = run_simulation(
                config, series, load_catalog(), instruments, _calendars(spans, instruments)
            )
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
        out.print(_table(result, config, timeframe))
        if chart is not None:
            out.print(f"chart: {chart}")
