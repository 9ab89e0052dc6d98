"""Timing, figures and the results file shared by every benchmark."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Figure:
    """One measured figure: a name, a unit, and its distribution over ``n`` samples.

    An anchored figure also names the anchor timed beside it in the same process and gives
    ``ratio``, the median over rounds of (figure's time ÷ anchor's time); ``anchor_p50`` is the
    anchor's median time in the figure's unit per its own call. A missing anchor leaves the
    three fields ``None``.
    """

    name: str
    unit: str
    p50: float
    p99: float
    max: float
    n: int
    anchor: str | None = None
    anchor_p50: float | None = None
    ratio: float | None = None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no samples")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency(name: str, samples_s: Sequence[float], unit: str = "ms") -> Figure:
    """A latency figure from samples in seconds (p50, p99 and max of the samples)."""
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    values = [s * scale for s in samples_s]
    return Figure(
        name, unit, percentile(values, 50), percentile(values, 99), max(values), len(values)
    )


def rate(name: str, per_trial: int, samples_s: Sequence[float], unit: str = "per_s") -> Figure:
    """A throughput figure: ``per_trial`` operations per sample; p99 is the rate of the slow end."""
    rates = [per_trial / s for s in samples_s]
    return Figure(
        name, unit, percentile(rates, 50), percentile(rates, 1), max(rates), len(rates) * per_trial
    )


def value(name: str, unit: str, values: Sequence[float]) -> Figure:
    """A figure of plain values (a ratio, a size)."""
    return Figure(
        name, unit, percentile(values, 50), percentile(values, 99), max(values), len(values)
    )


def timed(call: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls after ``warmup`` calls (garbage collected first)."""
    for _ in range(warmup):
        call()
    gc.collect()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


@dataclass(frozen=True)
class Anchor:
    """A reference operation timed beside a figure: its name and one call of it."""

    name: str
    call: Callable[[], object]


def interleaved(
    call: Callable[[], object],
    anchor: Anchor | None,
    rounds: int,
    per_round: int = 1,
    anchor_per_round: int | None = None,
    warmup: int = 1,
) -> tuple[list[float], list[float], list[float]]:
    """Time ``anchor`` then ``call`` in each of ``rounds`` rounds, in this process.

    Returns the figure's samples (seconds per call, ``per_round`` per round), the anchor's
    (seconds per call, the median of each round) and the ratio of each round (the figure's
    median over the anchor's median of that round), so a machine that slows down for a
    while slows both sides of a ratio alike.
    """
    for _ in range(warmup):
        call()
        if anchor is not None:
            anchor.call()
    gc.collect()
    samples: list[float] = []
    anchors: list[float] = []
    ratios: list[float] = []
    for _ in range(rounds):
        round_anchor: list[float] = []
        if anchor is not None:
            for _ in range(anchor_per_round or per_round):
                started = time.perf_counter()
                anchor.call()
                round_anchor.append(time.perf_counter() - started)
        round_samples = []
        for _ in range(per_round):
            started = time.perf_counter()
            call()
            round_samples.append(time.perf_counter() - started)
        samples += round_samples
        if round_anchor:
            anchor_median = statistics.median(round_anchor)
            anchors.append(anchor_median)
            ratios.append(statistics.median(round_samples) / anchor_median)
    return samples, anchors, ratios


def anchored(
    figure: Figure, anchor: Anchor | None, anchor_s: Sequence[float], ratios: Sequence[float]
) -> Figure:
    """``figure`` with its anchor's median time (in the figure's time unit) and median ratio."""
    if anchor is None or not ratios:
        return figure
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}.get(figure.unit, 1e6)
    return replace(
        figure,
        anchor=anchor.name,
        anchor_p50=statistics.median(anchor_s) * scale,
        ratio=statistics.median(ratios),
    )


def load() -> dict[str, object]:
    """The machine's load now: the 1, 5 and 15 minute load averages and the CPU count."""
    one, five, fifteen = os.getloadavg()
    return {"load_1m": one, "load_5m": five, "load_15m": fifteen, "cpus": os.cpu_count()}


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    packages = (
        "numpy",
        "scipy",
        "sqlalchemy",
        "psycopg",
        "fastapi",
        "uvicorn",
        "pydantic",
        "nautilus_trader",
    )
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def write(
    figures: list[Figure],
    quick: bool,
    path: Path | None = None,
    *,
    load_before: dict[str, object] | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write ``latest.json`` (machine, load, notes, figures) and return its path."""
    target = path or RESULTS / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "load": {"before": load_before or load(), "after": load()},
        "notes": list(notes),
        "figures": [asdict(f) for f in figures],
    }
    target.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return target


def median(values: Sequence[float]) -> float:
    """The median."""
    return statistics.median(values)


NOTES: list[str] = []


def note(text: str) -> None:
    """Record something the run could not measure (printed and written with the results)."""
    if text not in NOTES:
        NOTES.append(text)
