"""``python -m bench [--quick] [--only pure,service,…]``: run, print, write the results."""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from aria.bootstrap import tune_for_serving
from bench import http, jobs, memory, pure, service
from bench.fixtures import POSTGRES_URL
from bench.harness import NOTES, Figure, load, write

PARTS = ("pure", "service", "http", "jobs", "memory")


def _backends() -> tuple[str, ...]:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception:
        return ("sqlite",)
    return ("sqlite", "postgres")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and write ``bench/results/latest.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a short run (a smoke test, not the figures)"
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="results file (default bench/results/latest.json)"
    )
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip PostgreSQL even when it answers"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    tune_for_serving()  # measured as `aria serve` and `aria jobs run` run
    console = Console()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts: {', '.join(unknown)}")
    load_before = load()
    backends = ("sqlite",) if args.sqlite_only else _backends()
    if "postgres" not in backends and not args.sqlite_only:
        console.print("[yellow]PostgreSQL does not answer: measuring SQLite only[/]")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="aria-bench-") as scratch:
        folder = Path(scratch)
        for part in parts:
            with console.status(f"measuring {part} …"):
                if part == "pure":
                    figures += pure.run(args.quick)
                elif part == "service":
                    figures += service.run(args.quick, folder, backends)
                elif part == "http":
                    figures += http.run(args.quick, folder)
                    figures += http.processes(args.quick, folder, backends)
                elif part == "jobs":
                    figures += jobs.correlation(args.quick)
                    figures += jobs.volatility(args.quick, folder)
                    figures += jobs.resets(args.quick, folder, backends)
                elif part == "memory":
                    figures += memory.run(args.quick, folder)
    table = Table(title="ARIA benchmarks" + (" (quick)" if args.quick else ""))
    table.add_column("Figure", no_wrap=True)
    for column in ("Unit", "p50", "p99", "max", "n", "anchor p50", "× anchor"):
        table.add_column(column, justify="right")
    table.add_column("Anchor", no_wrap=True)
    for f in figures:
        table.add_row(
            f.name,
            f.unit,
            f"{f.p50:,.3f}",
            f"{f.p99:,.3f}",
            f"{f.max:,.3f}",
            f"{f.n:,}",
            "" if f.anchor_p50 is None else f"{f.anchor_p50:,.3f}",
            "" if f.ratio is None else f"{f.ratio:,.2f}",
            f.anchor or "",
        )
    Console(width=max(console.width, 160)).print(table)
    load_after = load()
    console.print(
        f"load average {load_before['load_1m']:.2f} before, {load_after['load_1m']:.2f} after"
        f" ({load_after['cpus']} CPUs); anchor p50 is in the figure's time unit (µs for rates),"
        " × anchor is the median over rounds of the figure's time ÷ the anchor's"
    )
    for text in NOTES:
        console.print(f"[yellow]{text}[/]")
    path = write(figures, args.quick, args.out, load_before=load_before, notes=NOTES)
    console.print(f"wrote {path}")
