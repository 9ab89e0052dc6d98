"""The benchmark harness runs in its quick mode and writes its results file (times are not judged)."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"name", "unit", "p50", "p99", "max", "n", "anchor", "anchor_p50", "ratio"}


@pytest.mark.slow
def test_the_quick_benchmark_runs_and_writes_every_figure_with_its_anchor(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    # SQLite only and without the memory part, to stay quick; the parts skipped here run the
    # same code on PostgreSQL and the same server as the HTTP part.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--sqlite-only",
            "--only",
            "pure,service,http,jobs",
            "--out",
            str(out),
        ],
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
    for moment in ("before", "after"):
        assert {"load_1m", "load_5m", "load_15m", "cpus"} <= body["load"][moment].keys()
    figures = {f["name"]: f for f in body["figures"]}
    for name in (
        "pure.decisions_per_s.aria",
        "pure.decision_us.positions.50",
        "pure.batch_decisions_per_s.1000",
        "pure.batch_end_to_end_us_per_account.1000",
        "service.fanout_ms.sqlite.1000",
        "service.audited_over_commit.sqlite",
        "service.single_ms.sqlite.snapshots.50000",
        "service.single_ms.sqlite.decisions.10000",
        "http.single_ms.c8",
        "jobs.correlation_ms.500x1000",
        "jobs.daily_reset_s.sqlite.1000",
    ):
        assert name in figures, name
    for figure in figures.values():
        assert set(figure) == FIELDS
        assert figure["n"] >= 1
        assert all(math.isfinite(figure[k]) for k in ("p50", "p99", "max"))
    # The audited figures stand beside a bare commit, correlation beside numpy's.
    for name in (
        "service.fanout_ms.sqlite.1",
        "service.single_ms.sqlite.snapshots.0",
        "jobs.correlation_ms.500x1000",
    ):
        assert figures[name]["anchor"] is not None, name
        assert figures[name]["ratio"] > 0, name
        assert figures[name]["anchor_p50"] > 0, name
    # NautilusTrader is optional: with it every pure figure has a ratio, without it the run
    # says the anchor is missing.
    if importlib.util.find_spec("nautilus_trader") is not None:
        assert figures["pure.decisions_per_s.aria"]["ratio"] > 0
    else:
        assert figures["pure.decisions_per_s.aria"]["ratio"] is None
        assert any("NautilusTrader" in text for text in body["notes"])
    # Two server processes need PostgreSQL: the run says so instead of measuring.
    assert any("2 server processes" in text for text in body["notes"])
    # Every request the load generator sent was answered.
    assert figures["http.single_errors.c8"]["max"] == 0
    assert figures["pure.batch_by_scalar.1000"]["max"] < 1000
    assert "× anchor" in result.stdout


class _FakeTime:
    """A perf_counter that moves only when a timed call says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def test_anchors_are_timed_in_rounds_and_the_ratio_is_the_median_of_the_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import harness

    clock = _FakeTime()
    monkeypatch.setattr(harness.time, "perf_counter", clock.perf_counter)
    order: list[str] = []
    # The figure costs 3, 3, 30 (a disturbed round), the anchor 1, 1, 10 in the same rounds.
    figure_costs = iter([0.0, 3.0, 3.0, 30.0])  # the first is the warm-up
    anchor_costs = iter([0.0, 1.0, 1.0, 10.0])

    def figure() -> None:
        order.append("figure")
        clock.now += next(figure_costs)

    def anchor() -> None:
        order.append("anchor")
        clock.now += next(anchor_costs)

    samples, anchor_s, ratios = harness.interleaved(figure, harness.Anchor("a", anchor), 3)
    assert order == ["figure", "anchor"] + ["anchor", "figure"] * 3
    assert samples == [3.0, 3.0, 30.0]
    assert anchor_s == [1.0, 1.0, 10.0]
    assert ratios == [3.0, 3.0, 3.0]
    result = harness.anchored(
        harness.latency("f", samples), harness.Anchor("a", anchor), anchor_s, ratios
    )
    assert result.ratio == 3.0
    assert result.anchor == "a"
    assert result.anchor_p50 == 1000.0  # 1 s in the figure's unit, ms
    # Without an anchor (NautilusTrader missing) the figure keeps no ratio.
    bare = harness.anchored(harness.latency("f", samples), None, [], [])
    assert (bare.anchor, bare.anchor_p50, bare.ratio) == (None, None, None)
