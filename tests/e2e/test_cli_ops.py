"""``aria init``, ``aria db upgrade`` and ``aria jobs`` against a real SQLite file."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from aria.cli import app

runner = CliRunner()


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}"}


def test_init_then_jobs(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    result = runner.invoke(app, ["jobs", "list"], env=env)
    assert result.exit_code == 2
    assert "run 'aria db upgrade'" in result.output
    result = runner.invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    result = runner.invoke(app, ["jobs", "once", "daily_resets"], env=env)
    assert result.exit_code == 0, result.output
    listing = runner.invoke(app, ["jobs", "list"], env=env)
    assert listing.exit_code == 0
    for name in ("daily_resets", "volatility", "correlations", "compliance_scan", "stale_data"):
        assert name in listing.output
    assert runner.invoke(app, ["jobs", "once", "nope"], env=env).exit_code == 2


@pytest.mark.slow
def test_the_scheduler_process_runs_jobs_and_beats(tmp_path: Path) -> None:
    env = {**os.environ, **env_for(tmp_path)}
    script = shutil.which("aria", path=str(Path(sys.executable).parent))
    assert script is not None
    subprocess.run([script, "init"], env=env, check=True, capture_output=True, timeout=60)
    process = subprocess.Popen(
        [script, "jobs", "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        beats = 0
        while time.monotonic() < deadline and not beats:
            time.sleep(0.3)
            with sqlite3.connect(tmp_path / "aria.db") as db:
                beats = db.execute("select count(*) from scheduler_heartbeats").fetchone()[0]
        assert beats, "the scheduler never beat"
        time.sleep(1)  # let the first round of jobs finish
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "job daily_resets finished" in err


@pytest.mark.postgres
def test_init_does_not_print_the_database_password(
    postgres_database: tuple[str, Engine],
) -> None:
    url = make_url(postgres_database[0])
    if url.password is None:
        url = url.set(password="pw-s3cret")  # the test server trusts; the password is unused
    password = str(url.password)
    env = {"ARIA_DATABASE_URL": url.render_as_string(hide_password=False)}
    result = runner.invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.output
    assert "database ready at postgresql" in result.output
    assert "***" in result.output
    assert password not in result.output
    unreachable = {"ARIA_DATABASE_URL": "postgresql://u:pw-s3cret@127.0.0.1:1/nowhere"}
    failed = runner.invoke(app, ["init"], env=unreachable)
    assert failed.exit_code == 2
    assert "pw-s3cret" not in failed.output
