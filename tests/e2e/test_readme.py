"""Every fenced block of README.md is named and run by a test exactly as written.

Shell blocks run with bash in a fresh folder holding a copy of ``examples/`` and a SQLite file
(``ARIA_DATABASE_URL``), the ``aria`` script beside this Python first on the PATH. The command
line walkthrough and the lifecycle block run in this process on a fixed weekday afternoon, so
a weekend's closed market never decides them; their arguments are the README's, split as a
shell splits them. The API block's ``aria serve`` is started by ``tests.e2e.processes`` on a
free port, which the ``curl`` then names instead of 8000.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from aria.cli import app
from storage.engine import make_engine
from tests.databases import POSTGRES_URL, require_postgres
from tests.e2e.processes import serve
from tests.readme import README, block, blocks, commands, fences

REPO = README.parent
BIN = Path(sys.executable).parent
WEEKDAY = "2026-12-02 15:00:00"  # a Wednesday afternoon: FX markets open


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "ARIA_DATABASE_URL": f"sqlite:///{folder / 'aria.db'}",
    }


def shell(folder: Path, command: str, code: int = 0, *, merged: bool = True) -> str:
    """``command`` run by bash in ``folder``; its output (stdout, and stderr if ``merged``)."""
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == code, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout + (done.stderr if merged else "")


def cli(folder: Path, command: str, code: int = 0) -> str:
    """An ``aria`` command of the README, in this process at a fixed weekday time."""
    args = shlex.split(command)
    assert args[0] == "aria", command
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with freeze_time(WEEKDAY):
            done = CliRunner().invoke(
                app, args[1:], env={"ARIA_DATABASE_URL": f"sqlite:///{folder / 'aria.db'}"}
            )
    finally:
        os.chdir(cwd)
    assert done.exit_code == code, f"{command}\n{done.output}"
    return done.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A fresh folder with the repository's examples, as a user has them."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def test_every_block_is_named() -> None:
    assert len(blocks()) == fences()


def test_every_named_block_is_run_by_a_test() -> None:
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (REPO / "tests").rglob("*.py")
        if path.name != "readme.py"
    )
    untested = [name for name in blocks() if f'"{name}"' not in sources]
    assert not untested, untested


def test_the_ci_blocks_are_what_ci_runs() -> None:
    # "run" and "test" are run by .ci/run itself, on a clean clone.
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- ci: test -->" in ci
    assert commands("test")[0].endswith("python -m pytest")
    assert commands("run")[0].endswith(".venv/bin/aria demo")


def test_the_firm_catalog_block(folder: Path) -> None:
    outputs = [shell(folder, command) for command in commands("firms")]
    assert "FTMO" in outputs[0]
    assert "source" in outputs[1] or "read" in outputs[1]
    assert "OK — Acme Funding" in outputs[2]
    assert "Acme Funding" in outputs[3]


def test_the_decide_block(folder: Path) -> None:
    decided, schema, presets = (shell(folder, command) for command in commands("decide"))
    assert json.loads(decided)["status"] in ("approved", "rejected")
    assert "properties" in json.loads(schema)
    assert "leveragebot" in presets


def test_the_walkthrough_runs_in_order_and_sizes(folder: Path) -> None:
    outputs = {command: cli(folder, command) for command in commands("cli-walkthrough")}
    sized = next(out for command, out in outputs.items() if "--as-of" in command)
    assert "approved" in sized
    assert "stale_data" not in sized
    imported = next(out for command, out in outputs.items() if "bars import" in command)
    assert "volatility computed for 2 symbols" in imported
    preview = next(out for command, out in outputs.items() if "--preview" in command)
    assert "approved" in preview
    shown = next(out for command, out in outputs.items() if "accounts show" in command)
    assert "Europe/Prague" in shown
    assert (folder / "ftmo-1.html").exists()
    assert (folder / "decisions.csv").exists()


def test_the_positions_example_is_the_file_the_walkthrough_pushes(folder: Path) -> None:
    shipped = json.loads((folder / "examples" / "walkthrough" / "positions.json").read_text())
    assert json.loads(block("positions")) == shipped
    cli(folder, "aria init")
    cli(folder, "aria accounts create --id a --owner o --firm ftmo --plan 2-step --size 100000")
    pushed = cli(
        folder,
        "aria state push a --balance 100000 --equity 99850"
        " --positions examples/walkthrough/positions.json",
    )
    assert "a: active" in pushed


def test_the_lifecycle_block(folder: Path) -> None:
    cli(folder, "aria init")
    cli(
        folder,
        "aria accounts create --id ftmo-1 --owner alice --firm ftmo --plan 2-step --size 100000",
    )
    outputs = [cli(folder, command) for command in commands("lifecycle")]
    assert "promoted to verification" in outputs[0]
    assert "evaluation reset" in outputs[1]
    assert "archived" in outputs[2]
    assert "FTMO #1" in outputs[5]
    assert "ftmo-1 of alice" in outputs[6]


def test_the_api_block_against_a_real_server(folder: Path) -> None:
    key_line, serve_line, curl_line = commands("api")
    assert serve_line == "aria serve --port 8000"
    for command in (
        "aria init",
        "aria accounts create --id ftmo-1 --owner alice --firm ftmo --plan 2-step --size 100000",
        "aria bars import examples/walkthrough/EURUSD1440.csv",
        "aria state push ftmo-1 --balance 100000 --equity 100000",
    ):
        shell(folder, command)
    url = f"sqlite:///{folder / 'aria.db'}"
    with serve(url, folder / "serve.log") as server:
        port = server.base.rsplit(":", 1)[1]
        script = f"{key_line}\n{curl_line.replace('localhost:8000', f'localhost:{port}')}"
        answered = json.loads(shell(folder, script, merged=False))
    (decision,) = answered["decisions"]
    assert decision["account_id"] == "ftmo-1"
    assert decision["status"] in ("approved", "rejected")


def test_the_jobs_block(folder: Path) -> None:
    *once, run = commands("jobs")
    outputs = [shell(folder, command) for command in once]
    assert "database ready" in outputs[0]
    assert "schema at revision" in outputs[1]
    assert "daily_resets" in outputs[2]
    assert outputs[3].startswith("daily_resets: ran")
    assert run == "aria jobs run"
    scheduler = subprocess.Popen(
        ["bash", "-c", f"exec {run}"],
        cwd=folder,
        env=_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert scheduler.stdout is not None
        started = ""
        deadline = time.monotonic() + 60
        while "scheduler started" not in started and time.monotonic() < deadline:
            started += scheduler.stdout.readline()
        assert "scheduler started" in started
    finally:
        scheduler.send_signal(signal.SIGINT)
        scheduler.communicate(timeout=30)


def test_the_bench_block_names_real_commands(folder: Path) -> None:
    every, only, profile = commands("bench")
    assert every.startswith("python -m bench")
    parts = re.search(r"--only (\S+)", only)
    assert parts is not None
    shown = shell(REPO, "python -m bench --help")
    for part in parts.group(1).split(","):
        assert part in shown
    assert "python -m bench.profile fanout --backend postgres" in profile
    # The profiler needs the bench extra (pyinstrument); its scenarios are named in its source.
    assert '"fanout"' in (REPO / "bench" / "profile.py").read_text(encoding="utf-8")
    # A short real run of the smallest part, its results kept out of the repository.
    out = folder / "latest.json"
    shell(REPO, f"python -m bench --quick --only pure --out {out}")
    assert json.loads(out.read_text())


@pytest.mark.slow
def test_the_simulate_block(folder: Path) -> None:
    *simulations, slow = commands("simulate")
    assert "413 days" in block("simulate")
    # The three replays are independent processes: run side by side, they take the time of
    # the longest rather than of all three.
    with ThreadPoolExecutor(max_workers=len(simulations)) as pool:
        first, as_json, minutes = pool.map(lambda command: shell(folder, command), simulations)
    assert "baseline" in first
    assert "aria" in json.loads(as_json)
    assert "baseline" in minutes
    assert slow == "pytest -m slow"
    assert "collected" in shell(REPO, "python -m pytest -m slow --collect-only -q | tail -1")


@pytest.mark.slow
def test_the_development_block() -> None:
    for command in commands("development"):
        if "pytest" in command:
            assert "collected" in shell(REPO, f"{command} --collect-only -q | tail -1")
        else:
            shell(REPO, command)


@pytest.mark.postgres
def test_the_postgres_roles_block(folder: Path) -> None:
    # The block as written, on a scratch database and role names of this test's own (roles
    # are global to the server), on the test server's address.
    require_postgres()
    tag = uuid.uuid4().hex[:8]
    database, owner, app_role = f"aria_readme_{tag}", f"aria_owner_{tag}", f"aria_app_{tag}"
    server = make_url(POSTGRES_URL)
    where = f"{server.host}:{server.port or 5432}/{database}"
    *steps, last = commands("db-roles")
    assert last == "aria serve"
    script = "\n".join(
        step.replace("localhost/aria", where)
        .replace("aria_owner", owner)
        .replace("aria_app", app_role)
        for step in steps
    )
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        done = shell(folder, f"set -e\n{script}\necho $ARIA_DATABASE_URL")
        assert f"roles ready: {owner} owns the tables of public" in done
        assert "schema at revision" in done
        url = done.strip().splitlines()[-1]
        with serve(url, folder / "serve.log") as running:
            health = httpx.get(f"{running.base}/healthz", timeout=10)
            assert health.json()["database"] == "ok", health.text
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            for role in (app_role, owner):
                connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
