"""``aria bars import`` and ``aria instruments``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from aria.cli.firms import err, fail, out
from aria.cli.ops import app_from
from aria.cli.trading import run_service

bars_app = typer.Typer(help="Market bars.", no_args_is_help=True)

Bar = tuple[dt.datetime, Decimal, Decimal, Decimal, Decimal, Decimal | None]


@dataclass
class ParsedFile:
    """The bars of one CSV file, or the lines that were wrong in it."""

    path: Path
    symbol: str
    bars: list[Bar]
    problems: list[str]
    timeframe: str | None = None  # as the file's name says it, MetaTrader style


def parse_csv(path: Path, symbol: str | None) -> ParsedFile:
    """Parse ``path`` (one reader with ``aria simulate``): a header with a time column, open,
    high, low, close (and volume); the symbol and timeframe come from a MetaTrader-style name
    (``EURUSD1440.csv``, ``EURUSD_M1.csv``) unless ``symbol`` is given."""
    from aria.simulation.bars import named, read_bars

    from_name, timeframe = named(path.name)
    parsed = ParsedFile(path, (symbol or from_name).upper(), [], [], timeframe)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        parsed.problems.append(f"{path}: cannot be read: {reason}")
        return parsed
    found = read_bars(text, str(path))
    parsed.bars, parsed.problems = found.bars, found.problems
    return parsed


@bars_app.command("import")
def import_bars(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE...", help="CSV files, one symbol each")
    ],
    symbol: Annotated[
        str | None, typer.Option(help="the symbol (default: each file's name)")
    ] = None,
    timeframe: Annotated[
        str | None,
        typer.Option(help="bar timeframe (default: from a MetaTrader-style file name, else 1d)"),
    ] = None,
    keep_weekend_bars: Annotated[
        bool,
        typer.Option(
            "--keep-weekend-bars",
            help="keep the short Sunday bars of daily FX, metal and CFD files as they are"
            " (default: merge each into Monday's bar)",
        ),
    ] = False,
    allow_outliers: Annotated[
        bool,
        typer.Option(
            "--allow-outliers",
            help="store bars whose true range is far beyond their neighbours' (default: refuse)",
        ),
    ] = False,
) -> None:
    """Import closed bars from CSV; any bad row or bar refuses the whole import.

    Bar times are the bar's start. Future-dated bars and outliers (a true range more than
    ARIA_BAR_OUTLIER_MULTIPLE times the median of the bars around it) refuse the import.
    """
    from pydantic import ValidationError

    from aria.service import market as market_service
    from aria.service.commands import BarsBatch
    from aria.service.errors import plain

    if symbol is not None and len(files) > 1:
        raise fail("--symbol names the symbol of one file; give one file or none")
    parsed = [parse_csv(path, symbol) for path in files]
    problems = [p for f in parsed for p in f.problems]
    if problems:
        for problem in problems[:50]:
            err.print(problem, highlight=False, markup=False)
        if len(problems) > 50:
            err.print(f"… and {len(problems) - 50} more", highlight=False)
        raise fail(
            f"{len(problems)} bad row{'s' if len(problems) != 1 else ''}: nothing was imported"
        )
    try:
        batches = [
            BarsBatch.model_validate(
                {
                    "symbol": f.symbol,
                    "timeframe": timeframe or f.timeframe or "1d",
                    "bars": f.bars,
                    "keep_weekend_bars": keep_weekend_bars,
                    "allow_outliers": allow_outliers,
                }
            )
            for f in parsed
        ]
    except ValidationError as exc:
        where, message = plain(exc)
        raise fail(f"{where}: {message}: nothing was imported") from None
    app = app_from()
    known = market_service.instruments(app.context)
    unknown = sorted({b.symbol for b in batches if b.symbol not in known})
    if unknown:
        raise fail(
            f"unknown instrument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}:"
            " nothing was imported"
        )
    with Progress(transient=True) as progress:
        task = progress.add_task("importing bars", total=sum(len(b.bars) for b in batches))
        done = run_service(
            market_service.ingest_batches,
            app.context,
            batches,
            progress=lambda count: progress.advance(task, count),
        )
    total = sum(d.stored for d in done)
    out.print(f"imported {total} bars of {', '.join(d.symbol for d in done)}", highlight=False)
    for d in done:
        if d.merged or d.dropped:
            dropped = f"; dropped {d.dropped} with no Monday bar after it" if d.dropped else ""
            out.print(
                f"{d.symbol}: merged {d.merged} Sunday bar{'s' if d.merged != 1 else ''} into"
                f" the next session{dropped} (--keep-weekend-bars keeps them)",
                highlight=False,
            )
        for outlier in d.outliers:
            err.print(f"{d.symbol}: outlier stored as asked: {outlier}", highlight=False)
    # Sizing reads the volatility and correlations the jobs compute: compute them now, so the
    # bars just imported can be used at once.
    refreshed = run_service(market_service.refresh_analytics, app.context)
    out.print(
        f"volatility computed for {refreshed.volatility} symbol"
        f"{'s' if refreshed.volatility != 1 else ''};"
        f" correlations {'updated' if refreshed.correlations else 'unchanged'}",
        highlight=False,
    )
    app.close()


def instruments() -> None:
    """List the instruments ARIA can size."""
    from aria.service import market as market_service

    app = app_from()
    catalog = market_service.instruments(app.context)
    table = Table(title="Instruments")
    for column in (
        "Symbol",
        "Kind",
        "Class",
        "Quote",
        "Contract",
        "Tick",
        "Lot step",
        "Min–max lot",
        "Micro of",
    ):
        table.add_column(column)
    for key in sorted(catalog.instruments):
        i = catalog.instruments[key]
        table.add_row(
            i.symbol,
            i.kind,
            i.asset_class.value,
            i.quote,
            f"{i.contract_size:,}",
            f"{i.tick_size}",
            f"{i.lot_step}",
            f"{i.min_lot}–{i.max_lot}",
            i.micro_of or "—",
        )
    out.print(table)
    app.close()
