"""``python -m bench.profile {pure,fanout,correlation}``: where the time goes, as a call tree.

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


def main(argv: list[str] | None = None) -> None:
    """Profile one workload and print its call tree."""
    from pyinstrument import Profiler

    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("target", choices=("pure", "fanout", "correlation"))
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--accounts", type=int, default=1000)
    args = parser.parse_args(argv)
    tune_for_serving()
    with tempfile.TemporaryDirectory(prefix="aria-profile-") as scratch:
        if args.target == "fanout":
            from bench.fixtures import database, populate
            from bench.service import fanout

            with database(args.backend, Path(scratch)) as db:
                ids = populate(db, args.accounts)
                fanout(db, ids, repeat=2)  # warm the caches first
                profiler = Profiler(interval=0.0005)
                with profiler:
                    fanout(db, ids, repeat=5)
        else:
            work = _pure() if args.target == "pure" else _correlation()
            work()
            profiler = Profiler(interval=0.0002)
            with profiler:
                work()
    Console().print(profiler.output_text(unicode=True, color=False), markup=False, highlight=False)


if __name__ == "__main__":
    main()
