"""``aria simulate`` as a user runs it: a table, JSON keyed by policy then plan, a chart."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from aria.cli import app

runner = CliRunner()
SMALL = ["--accounts", "2", "--seed", "3", "--policy", "aria", "--policy", "baseline"]
METRICS = {"breaches_daily", "breaches_max_loss", "gap_breaches", "passed", "trades", "rejects"}


def test_json_and_a_chart(tmp_path: Path) -> None:
    chart = tmp_path / "simulation.png"
    plans = ["--plan", "ftmo/2-step", "--plan", "apex/evaluation"]
    result = runner.invoke(app, ["simulate", *SMALL, *plans, "--json", "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert list(body) == ["aria", "baseline"]
    for plans_of in body.values():
        assert list(plans_of) == ["ftmo/2-step", "apex/evaluation"]
        for outcome in plans_of.values():
            assert outcome.keys() >= METRICS
            assert outcome["accounts"] == 2
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_table_names_every_plan_and_policy() -> None:
    result = runner.invoke(app, ["simulate", *SMALL, "--plan", "topstep/trading-combine"])
    assert result.exit_code == 0, result.output
    assert "topstep/trading-combine" in result.output
    assert "baseline" in result.output
    assert "gaps on" in result.output


def test_own_bars_are_read_and_bad_ones_refused(tmp_path: Path) -> None:
    sample = resources.files("aria.demo") / "data"
    for name in ("eurusd", "xauusd"):
        (tmp_path / f"{name}.csv").write_text((sample / f"{name}.csv").read_text("utf-8"))
    bars = ["--bars", str(tmp_path / "eurusd.csv"), "--bars", str(tmp_path / "xauusd.csv")]
    missing = runner.invoke(app, ["simulate", *SMALL, "--plan", "ftmo/2-step", *bars])
    assert missing.exit_code == 2
    assert "no bars for GBPUSD" in missing.output
    broken = tmp_path / "gbpusd.csv"
    broken.write_text("date,open,high,low,close\n2018-01-02,1.35,1.36,not-a-price,1.355\n")
    refused = runner.invoke(app, ["simulate", *SMALL, "--bars", str(broken)])
    assert refused.exit_code == 2
    assert "gbpusd.csv: line 2" in refused.output


def test_unknown_plans_policies_and_counts_are_refused() -> None:
    for args, message in (
        (["--plan", "nope/x"], "unknown plan nope/x"),
        (["--policy", "yolo"], "unknown policy yolo"),
        (["--accounts", "0"], "at least one account"),
        (["--signal-rate", "1.5"], "probability"),
    ):
        result = runner.invoke(app, ["simulate", *args])
        assert result.exit_code == 2, args
        assert message in result.output, args


def test_the_minute_replay_counts_time_rule_breaches_by_kind() -> None:
    args = ["simulate", *SMALL, "--timeframe", "1m", "--plan", "topstep/trading-combine"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert list(body) == ["aria", "baseline"]
    for outcomes in body.values():
        assert set(outcomes["topstep/trading-combine"]["time_breaches"]) == {
            "flat_by",
            "weekend",
            "overnight",
            "news",
        }
    assert sum(body["aria"]["topstep/trading-combine"]["time_breaches"].values()) == 0
    table = runner.invoke(app, args)
    assert "of 1m bars" in table.output
    assert "Time rules" in table.output


def test_an_unknown_timeframe_is_refused() -> None:
    result = runner.invoke(app, ["simulate", *SMALL, "--timeframe", "5m"])
    assert result.exit_code == 2
    assert "unknown timeframe 5m; one of 1d, 1m" in result.output
