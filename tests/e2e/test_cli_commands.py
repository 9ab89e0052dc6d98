"""Every CLI command against a real SQLite file, as a user types it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from aria.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}"}
    assert runner.invoke(app, ["init"], env=values).exit_code == 0
    return values


def aria(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def open_account(env: dict[str, str], account_id: str = "ftmo-1", owner: str = "alice") -> None:
    aria(
        env,
        "accounts",
        "create",
        "--id",
        account_id,
        "--owner",
        owner,
        "--firm",
        "ftmo",
        "--plan",
        "2-step",
        "--size",
        "100000",
        "--personality",
        "0.9",
        "--strategy",
        "trend",
    )


@freeze_time("2026-06-02 09:00:00")
def test_accounts_state_and_size(env: dict[str, str]) -> None:
    open_account(env)
    assert "personality 0.9" in aria(
        env,
        "accounts",
        "create",
        "--id",
        "ftmo-2",
        "--owner",
        "alice",
        "--firm",
        "ftmo",
        "--plan",
        "2-step",
        "--size",
        "100000",
        "--personality",
        "0.9",
    )
    listing = aria(env, "accounts", "list", "--owner", "alice")
    assert "ftmo-1" in listing
    assert "0.9 (conservative)" in listing
    aria(
        env,
        "accounts",
        "create",
        "--id",
        "bad",
        "--owner",
        "a",
        "--firm",
        "ftmo",
        "--plan",
        "2-step",
        "--size",
        "-1",
        code=2,
    )
    pushed = aria(
        env,
        "state",
        "push",
        "ftmo-1",
        "--balance",
        "100000",
        "--equity",
        "100000",
        "--as-of",
        "2026-06-02T08:59:00Z",
    )
    assert "daily_loss 95,000.00" in pushed
    aria(
        env,
        "state",
        "push",
        "ftmo-1",
        "--balance",
        "1",
        "--equity",
        "1",
        "--as-of",
        "2026-06-02T08:58:00Z",
        code=2,
    )
    shown = aria(env, "accounts", "show", "ftmo-1")
    assert "headroom: 5,000.00" in shown
    signal = ["-a", "ftmo-1", "--symbol", "GBPUSD", "--side", "long", "--entry", "1.27"]
    previewed = json.loads(aria(env, "size", *signal, "--stop", "1.26", "--preview", "--json"))
    assert [(r["status"], r["lots"]) for r in previewed["accounts"]] == [("approved", "0.90")]
    assert "nothing reserved or recorded" in aria(
        env, "size", *signal, "--stop", "1.26", "--preview"
    )
    table = aria(
        env,
        "size",
        "-a",
        "ftmo-1",
        "--symbol",
        "GBPUSD",
        "--side",
        "long",
        "--entry",
        "1.2700",
        "--stop",
        "1.2600",
    )
    assert "approved" in table
    sized = [*signal, "--stop", "1.26", "--request-id", "cli-1", "--json"]
    data = json.loads(aria(env, "size", *sized))
    assert data["decisions"][0]["lots"] == "0.90"  # 1 % risk × personality 0.9
    again = json.loads(aria(env, "size", *sized))
    assert again["replayed"]
    wrong = aria(
        env,
        "size",
        "-a",
        "ftmo-1",
        "--symbol",
        "GBPUSD",
        "--side",
        "long",
        "--entry",
        "1.27",
        "--stop",
        "1.5",
        code=2,
    )
    assert "below the entry" in wrong
    assert "no account matches" in aria(
        env,
        "size",
        "--owner",
        "nobody",
        "--symbol",
        "GBPUSD",
        "--side",
        "long",
        "--entry",
        "1.27",
        "--stop",
        "1.26",
        code=2,
    )
    assert "halted" in aria(env, "accounts", "disable", "ftmo-1", "--reason", "review")
    assert "active" in aria(env, "accounts", "enable", "ftmo-1", "--reason", "cleared")
    assert "unknown account" in aria(env, "accounts", "show", "ghost", code=2)


def write_bars(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "open", "high", "low", "close", "volume"])
        writer.writerows(rows)
    return path


@freeze_time("2026-06-05 09:00:00")
def test_bars_import_refuses_a_file_with_bad_rows_and_imports_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    good = write_bars(
        tmp_path / "eurusd.csv",
        [
            ["2026-06-01", "1.1", "1.11", "1.09", "1.105", "10"],
            ["2026-06-02", "1.105", "1.12", "1.10", "1.115", ""],
        ],
    )
    bad = write_bars(
        tmp_path / "gbpusd.csv",
        [
            ["2026-06-01", "1.27", "1.28", "1.26", "1.275", "1"],
            ["2026-06-02", "abc", "1.28", "1.26", "1.27", "1"],
            ["2026-06-03", "1.27", "1.26", "1.28", "1.27", "1"],
            ["2026-06-04", "1.27", "1.28", "1.26", "-1", "1"],
        ],
    )
    result = runner.invoke(app, ["bars", "import", str(good), str(bad)], env=env)
    assert result.exit_code == 2
    assert "gbpusd.csv: line 3: not a valid bar" in result.output
    assert "gbpusd.csv: line 4: open and close must lie between low and high" in result.output
    assert "gbpusd.csv: line 5: close must be a positive number" in result.output
    assert "nothing was imported" in result.output
    assert "imported 2 bars of EURUSD" in aria(env, "bars", "import", str(good))
    unknown = write_bars(tmp_path / "zzz.csv", [["2026-06-01", "1", "1", "1", "1", ""]])
    assert "unknown instrument ZZZ" in aria(env, "bars", "import", str(unknown), code=2)
    headerless = tmp_path / "x.csv"
    headerless.write_text("1,2,3\n")
    assert "line 1: the header lacks" in aria(
        env, "bars", "import", str(headerless), "--symbol", "EURUSD", code=2
    )


def test_instruments_and_keys(env: dict[str, str]) -> None:
    assert "XAUUSD" in aria(env, "instruments")
    created = aria(
        env,
        "keys",
        "create",
        "--name",
        "copier",
        "--scope",
        "size",
        "--scope",
        "read",
        "--owner",
        "alice",
    )
    token = next(line for line in created.splitlines() if line.startswith("aria_"))
    key_id = token.split("_")[1]
    listing = aria(env, "keys", "list")
    assert key_id in listing
    assert token not in listing
    assert f"revoked {key_id}" in aria(env, "keys", "revoke", key_id)
    assert "no live key" in aria(env, "keys", "revoke", key_id, code=2)
    assert "scopes" in aria(env, "keys", "create", "--name", "x", "--scope", "god", code=2)


@freeze_time("2026-06-02 09:00:00")
def test_audit_commands_and_report(env: dict[str, str], tmp_path: Path) -> None:
    open_account(env)
    aria(
        env,
        "state",
        "push",
        "ftmo-1",
        "--balance",
        "100000",
        "--equity",
        "100000",
        "--as-of",
        "2026-06-02T08:59:00Z",
    )
    for number in range(3):
        aria(
            env,
            "size",
            "-a",
            "ftmo-1",
            "--symbol",
            "GBPUSD",
            "--side",
            "long",
            "--entry",
            "1.27",
            "--stop",
            "1.26",
            "--request-id",
            f"r{number}",
        )
    rows = json.loads(aria(env, "audit", "query", "--account", "ftmo-1", "--json"))
    assert len(rows) == 3
    assert {r["status"] for r in rows} == {"approved"}
    assert "account_opened" in aria(env, "audit", "events", "--account", "ftmo-1")
    assert "chains intact, 3 decisions replay exactly" in aria(env, "audit", "verify")
    exported = tmp_path / "decisions.csv"
    aria(env, "audit", "export", "--out", str(exported))
    assert len(list(csv.DictReader(exported.read_text().splitlines()))) == 3
    as_json = json.loads(aria(env, "audit", "export", "--out", "-", "--format", "json"))
    assert len(as_json) == 3
    page = tmp_path / "report.html"
    assert "wrote the compliance report" in aria(
        env, "report", "--account", "ftmo-1", "--out", str(page)
    )
    assert page.read_text().lstrip().lower().startswith("<!doctype html")
    assert "not an ISO date" in aria(env, "audit", "query", "--from", "yesterday", code=2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_health_and_stops_cleanly(env: dict[str, str]) -> None:
    script = shutil.which("aria", path=str(Path(sys.executable).parent))
    assert script is not None
    port = _free_port()
    process = subprocess.Popen(
        [script, "serve", "--port", str(port), "--no-scheduler", "--log-level", "warning"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, health = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None
        assert health.status_code == 200
        assert health.json()["database"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/v1/firms", timeout=5).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


LEAN_EURUSD = Path(__file__).resolve().parents[1] / "data" / "eurusd_oanda_2017h1.csv"


def test_bars_import_merges_sunday_stubs_unless_asked_to_keep_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    merged = aria(env, "bars", "import", str(LEAN_EURUSD), "--symbol", "EURUSD")
    assert "imported 130 bars of EURUSD" in merged
    assert "EURUSD: merged 25 Sunday bars into the next session" in " ".join(merged.split())
    kept = aria(
        env, "bars", "import", str(LEAN_EURUSD), "--symbol", "GBPUSD", "--keep-weekend-bars"
    )
    assert "imported 155 bars of GBPUSD" in kept
    assert "merged" not in kept


@freeze_time("2026-06-05 09:00:00")
def test_bars_import_refuses_future_bars_and_outliers(env: dict[str, str], tmp_path: Path) -> None:
    rows = [
        [f"2026-05-{day:02d}", "1.10", "1.105", "1.095", "1.10", ""]
        for day in range(4, 30)
        if dt.date(2026, 5, day).weekday() < 5
    ]
    future = write_bars(
        tmp_path / "eurusd.csv", [*rows, ["2031-01-06", "1.1", "1.2", "1.0", "1.1", ""]]
    )
    refused = aria(env, "bars", "import", str(future), code=2)
    assert "2031-01-06" in refused
    assert "after now" in refused
    spiky = write_bars(
        tmp_path / "eurusd.csv", [*rows, ["2026-06-01", "1.10", "1.30", "1.09", "1.10", ""]]
    )
    outlier = " ".join(aria(env, "bars", "import", str(spiky), code=2).split())
    assert "outlier bar: 2026-06-01" in outlier
    assert "nothing was stored" in outlier
    assert "imported" in aria(env, "bars", "import", str(spiky), "--allow-outliers")
