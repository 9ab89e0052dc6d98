"""``aria demo``: six accounts, real bars, three signals, one report — in a fresh database."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from aria.cli.firms import out
from aria.cli.trading import decisions_table, reason_lines


def demo(
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="where to create the database and report (default: a temp folder)"
        ),
    ] = None,
) -> None:
    """Run ARIA end to end on shipped real bars and print the decisions."""
    from aria.demo.run import ACCOUNTS, run

    target = folder or Path(tempfile.mkdtemp(prefix="aria-demo-"))
    out.print(f"ARIA demo in {target}", highlight=False)
    out.print(
        f"opening {len(ACCOUNTS)} accounts at FTMO, FundingPips and Topstep for alice and bob;"
        " importing real daily bars; replaying three weeks of December 2018 …",
        highlight=False,
    )
    result = run(target)
    out.print(
        f"imported {result.bars} bars; ran the jobs once; fanned out {len(result.signals)} signals",
        highlight=False,
    )
    for title, decisions in result.signals:
        out.print(decisions_table(decisions, title))
        for line in reason_lines(decisions):
            out.print(line, highlight=False, markup=False)
    if result.verified is not None:
        verdict = "intact" if result.verified.ok else f"BROKEN: {result.verified.problem}"
        out.print(
            f"audit trail: {verdict} ({result.verified.decisions} decisions replayed)",
            highlight=False,
        )
    out.print(f"compliance report: {result.report}", highlight=False)
    out.print(
        f"database: {result.database} (ARIA_DATABASE_URL=sqlite:///{result.database})",
        highlight=False,
    )
