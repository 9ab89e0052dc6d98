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
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Figure:
    """One measured figure: a name, a unit, and its distribution over ``n`` samples."""

    name: str
    unit: str
    p50: float
    p99: float
    max: float
    n: int


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


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    packages = ("numpy", "scipy", "sqlalchemy", "psycopg", "fastapi", "uvicorn", "pydantic")
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


def write(figures: list[Figure], quick: bool, path: Path | None = None) -> Path:
    """Write ``latest.json`` (machine, versions, figures) and return its path."""
    target = path or RESULTS / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "figures": [asdict(f) for f in figures],
    }
    target.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return target


def median(values: Sequence[float]) -> float:
    """The median."""
    return statistics.median(values)
