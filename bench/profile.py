"""``python -m bench.profile {pure,fanout,single,correlation}``: where the time goes.

``single`` is one audited decision (a fan-out to one account), repeated; with
``--statements`` the service targets print instead the SQL one request sends, in order.

Needs pyinstrument (``pip install -e '.[bench]'``). Each target runs its workload a few
times under the sampling profiler and prints the tree; docs/performance.md says what the
trees showed.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, event

from aria.bootstrap import tune_for_serving


def _pure() -> Callable[[], None]:
    from aria.sizing.pipeline import decide
    from bench.pure import fanout

    inputs = fanout(2000)

    def run() -> None:
        for item in inputs:
            decide(item)

    return run


def _correlation() -> Callable[[], None]:
    from aria.sizing import market
    from bench.jobs import _series

    series = _series(500, 1000)

    def run() -> None:
        for _ in range(10):
            market.correlation(series)

    return run


def _statements(engine: Engine, work: Callable[[], None]) -> list[str]:
    """The SQL ``work`` sends through ``engine``, one line each."""
    seen: list[str] = []

    def note(*args: object) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def main(argv: list[str] | None = None) -> None:
    """Profile one workload and print its call tree."""
    from pyinstrument import Profiler

    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("target", choices=("pure", "fanout", "single", "correlation"))
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument(
        "--statements", action="store_true", help="print the SQL of one request instead"
    )
    args = parser.parse_args(argv)
    tune_for_serving()
    with tempfile.TemporaryDirectory(prefix="aria-profile-") as scratch:
        if args.target in ("fanout", "single"):
            from bench.fixtures import database, populate
            from bench.service import fanout

            with database(args.backend, Path(scratch)) as db:
                ids = populate(db, 4 if args.target == "single" else args.accounts)
                chosen = ids[:1] if args.target == "single" else ids
                fanout(db, chosen, repeat=2)  # warm the caches first
                if args.statements:
                    sent = _statements(db.engine, lambda: fanout(db, chosen, repeat=1, warmup=0))
                    listing = "\n".join([f"{len(sent)} statements", *(s[:200] for s in sent)])
                    Console().print(listing, markup=False, highlight=False, soft_wrap=True)
                    return
                profiler = Profiler(interval=0.0001 if args.target == "single" else 0.0005)
                with profiler:
                    fanout(db, chosen, repeat=300 if args.target == "single" else 5)
        else:
            work = _pure() if args.target == "pure" else _correlation()
            work()
            profiler = Profiler(interval=0.0002)
            with profiler:
                work()
    Console().print(profiler.output_text(unicode=True, color=False), markup=False, highlight=False)


if __name__ == "__main__":
    main()
