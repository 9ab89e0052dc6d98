"""The benchmark harness runs in its quick mode and writes its results file (times are not judged)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_quick_benchmark_runs_and_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    body = json.loads(out.read_text())
    assert body["quick"] is True
    assert {"python", "platform", "cpus", "versions"} <= body["machine"].keys()
    figures = {f["name"]: f for f in body["figures"]}
    for name in (
        "pure.decisions_per_s.aria",
        "pure.batch_decisions_per_s.1000",
        "service.fanout_ms.sqlite.100",
        "service.audited_over_commit.sqlite",
        "http.single_ms.c8",
        "jobs.correlation_ms.500x1000",
        "jobs.daily_reset_s.sqlite.1000",
    ):
        assert name in figures, name
    for figure in figures.values():
        assert set(figure) == {"name", "unit", "p50", "p99", "max", "n"}
        assert figure["n"] >= 1
        assert all(math.isfinite(figure[k]) for k in ("p50", "p99", "max"))
    # Every request the load generator sent was answered.
    assert figures["http.single_errors.c8"]["max"] == 0
    assert figures["pure.batch_by_scalar.1000"]["max"] < 1000
