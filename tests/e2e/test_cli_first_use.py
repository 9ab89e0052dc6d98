"""What a new user hits first: the start-up cost of the CLI, the README walkthrough on
historical bars, exit codes, messages without validation internals, and the API's docs and
JSON bodies."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from aria.cli import app
from tests.e2e.clients import STATE, Api, opened

HEAVY = (
    "matplotlib",
    "fastapi",
    "starlette",
    "uvicorn",
    "pandas",
    "pandas_market_calendars",
    "scipy",
    "apscheduler",
    "prometheus_client",
    "httpx",
    "apprise",
    "jinja2",
)
INTERNALS = re.compile(
    r"errors\.pydantic\.dev|type=|input_value=|input_type=|validation errors? for"
)
OPEN_MARKET = "2026-12-02 15:00:00"  # a Wednesday: the walkthrough's FX market is open
ARIA = str(Path(sys.executable).with_name("aria"))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import aria.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in found.stderr.splitlines()}
    roots = {name.split(".")[0] for name in loaded}
    assert not roots & set(HEAVY), sorted(roots & set(HEAVY))


# What a server answering sizings never needs: charts (the reports load matplotlib when they
# draw), dataframes, SciPy, the calendar libraries and the notification channels.
NOT_SERVED = (
    "matplotlib",
    "pandas",
    "pandas_market_calendars",
    "exchange_calendars",
    "scipy",
    "apprise",
)


def test_starting_the_server_loads_no_library_a_sizing_does_not_need() -> None:
    started = "import aria.cli.serve, aria.api.app, aria.bootstrap, jobs.runner, uvicorn"
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", started],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in found.stderr.splitlines()}
    roots = {name.split(".")[0] for name in loaded}
    assert "fastapi" in roots  # the check sees what the server loads
    assert not roots & set(NOT_SERVED), sorted(roots & set(NOT_SERVED))


def test_help_works() -> None:
    shown = subprocess.run([ARIA, "--help"], capture_output=True, text=True, check=True)
    assert "size" in shown.stdout
    assert "accounts" in shown.stdout


def run(folder: Path, *args: str, code: int = 0) -> str:
    """``aria ARGS`` in ``folder`` on a Wednesday afternoon (FX open), its output checked."""
    env = {"ARIA_DATABASE_URL": f"sqlite:///{folder / 'aria.db'}"}
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with freeze_time(OPEN_MARKET):
            done = CliRunner().invoke(app, list(args), env=env)
    finally:
        os.chdir(cwd)
    assert done.exit_code == code, done.output
    assert not INTERNALS.search(done.output), done.output
    return done.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = resources.files("aria.demo") / "data"
    for name in ("eurusd.csv", "gbpusd.csv"):
        (tmp_path / name).write_text((data / name).read_text("utf-8"), encoding="utf-8")
    run(tmp_path, "init")
    run(
        tmp_path,
        *[
            "accounts",
            "create",
            "--id",
            "ftmo-1",
            "--owner",
            "alice",
            "--firm",
            "ftmo",
            "--plan",
            "2-step",
            "--size",
            "100000",
            "--personality",
            "seeded",
        ],
    )
    return tmp_path


def test_an_account_without_state_says_so_and_every_reject_exits_3(folder: Path) -> None:
    shown = run(
        folder,
        *[
            "size",
            "-a",
            "ftmo-1",
            "--symbol",
            "EURUSD",
            "--side",
            "long",
            "--entry",
            "1.085",
            "--stop-atr",
            "2",
        ],
        code=3,
    )
    assert "no state pushed yet" in shown
    assert "days old" not in shown


def test_historical_bars_size_as_of_their_date(folder: Path) -> None:
    imported = run(folder, "bars", "import", "eurusd.csv", "gbpusd.csv")
    assert "volatility computed for 2 symbols" in imported
    run(folder, *["state", "push", "ftmo-1", "--balance", "100000", "--equity", "99850"])
    shown = run(
        folder,
        *[
            "size",
            "-a",
            "ftmo-1",
            "--symbol",
            "EURUSD",
            "--side",
            "long",
            "--entry",
            "1.085",
            "--stop-atr",
            "2",
            "--as-of",
            "2018-12-20T12:00Z",
            "--json",
        ],
    )
    body = json.loads(shown[shown.index("{") : shown.rindex("}") + 1])
    (decision,) = body["decisions"]
    assert decision["status"] == "approved", decision["reasons"]
    preview = run(
        folder,
        *[
            "size",
            "--owner",
            "alice",
            "--symbol",
            "EURUSD",
            "--side",
            "long",
            "--entry",
            "1.085",
            "--stop",
            "1.08",
            "--preview",
            "--atr",
            "0.008",
        ],
    )
    assert "approved" in preview


def test_money_is_shown_to_the_cent(folder: Path) -> None:
    run(folder, "bars", "import", "eurusd.csv")
    run(folder, *["state", "push", "ftmo-1", "--balance", "100000", "--equity", "99850"])
    shown = run(
        folder,
        *[
            "size",
            "-a",
            "ftmo-1",
            "--symbol",
            "EURUSD",
            "--side",
            "long",
            "--entry",
            "1.085",
            "--stop-atr",
            "2",
            "--atr",
            "0.0079",
        ],
    )
    amounts = re.findall(r"\d[\d,]*\.\d+", shown)
    assert amounts
    assert not [a for a in amounts if len(a.split(".")[1]) > 5], amounts


@pytest.mark.parametrize(
    "args",
    [
        "size -a ftmo-1 --symbol EURUSD --side sideways --entry 1.085 --stop 1.08",
        "size -a ftmo-1 --symbol EURUSD --side long --entry -1 --stop 1.08",
        "accounts create --id x --owner a --firm ftmo --plan 2-step --size abc",
        "state push ftmo-1 --balance ten --equity 1",
        "accounts cash-flow ftmo-1 --kind gift --amount 5",
    ],
)
def test_bad_input_is_named_without_internals(folder: Path, args: str) -> None:
    shown = run(folder, *args.split(), code=2)
    assert "error" in shown


def test_a_job_run_prints_a_line(folder: Path) -> None:
    shown = run(folder, "jobs", "once", "volatility")
    assert shown.startswith("volatility: ran")
    assert "JobReport" not in shown


def test_json_without_a_content_type_is_read(api: Api) -> None:
    opened(api, "ftmo-1")
    body = json.dumps(
        {
            "request_id": "s-1",
            "accounts": ["ftmo-1"],
            "symbol": "GBPUSD",
            "side": "long",
            "entry": "1.2700",
            "stop": "1.2600",
        }
    )
    for kind in ("application/x-www-form-urlencoded", None):
        headers = {**api.sizer, **({"Content-Type": kind} if kind else {})}
        answered = api.client.post("/v1/sizing", content=body, headers=headers)
        assert answered.status_code == 200, answered.text
    refused = api.client.post(
        "/v1/sizing",
        content="request_id=s-2",
        headers={**api.sizer, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 422
    assert "Content-Type: application/json" in refused.json()["error"]["message"]


def test_preview_takes_a_request_id_and_personality_a_word(api: Api) -> None:
    opened(api, "ftmo-1", personality="seeded")
    opened(api, "ftmo-2", personality=0.9)
    previewed = api.client.post(
        "/v1/sizing/preview",
        json={
            "request_id": "p-1",
            "accounts": ["ftmo-1"],
            "symbol": "GBPUSD",
            "side": "long",
            "entry": "1.27",
            "stop": "1.26",
        },
        headers=api.sizer,
    )
    assert previewed.status_code == 200, previewed.text


@pytest.mark.parametrize(
    "body",
    [
        {"request_id": "b", "accounts": ["x"], "symbol": "EURUSD", "side": "up", "entry": 1},
        {"request_id": "b", "accounts": ["x"], "symbol": "EURUSD", "side": "long", "entry": "x"},
        {"request_id": "b", "accounts": [], "symbol": "EURUSD", "side": "long", "entry": 1},
        {"accounts": ["x"], "symbol": "EURUSD", "side": "long", "entry": 1, "extra": 1},
        [1, 2],
        "text",
    ],
)
def test_api_errors_carry_no_internals(api: Api, body: object) -> None:
    answered = api.client.post("/v1/sizing", json=body, headers=api.sizer)
    assert answered.status_code == 422
    assert not INTERNALS.search(answered.text), answered.text
    assert "Model" not in answered.text
    assert "SizeRequest" not in answered.text


def test_docs_load_nothing_from_elsewhere(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)""", page.text)
    urls += re.findall(r"""url: ?['"]([^'"]+)""", page.text)
    assert urls
    assert not [u for u in urls if u.startswith(("http://", "https://", "//"))], urls
    for url in urls:
        assert api.client.get(url).status_code == 200, url
    assert api.client.get("/redoc").status_code == 404


def test_state_push_is_still_json(api: Api) -> None:
    opened(api, "ftmo-1")
    pushed = api.client.put(
        "/v1/accounts/ftmo-1/state", content=json.dumps(STATE), headers=api.sizer
    )
    assert pushed.status_code in (200, 409), pushed.text
    assert shutil.which("true") is not None


def test_simulate_reads_bars_from_any_path_with_the_import_header(tmp_path: Path) -> None:
    from tests.e2e.test_cli_simulate import SMALL

    data = resources.files("aria.demo") / "data"
    elsewhere = tmp_path / "data"
    elsewhere.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    for name in ("eurusd", "gbpusd", "nzdusd", "eurgbp", "xauusd"):
        # The header aria bars import reads (time instead of date), MetaTrader-style names.
        text = (data / f"{name}.csv").read_text("utf-8").replace("date,", "time,", 1)
        (elsewhere / f"{name.upper()}1440.csv").write_text(text, encoding="utf-8")
    bars = [
        "--bars",
        f"EURUSD={elsewhere / 'EURUSD1440.csv'}",
        "--bars",
        "GBPUSD=../data/GBPUSD1440.csv",
        "--bars",
        "../data/NZDUSD1440.csv",
        "--bars",
        str(elsewhere / "EURGBP1440.csv"),
        "--bars",
        "XAUUSD=../data/XAUUSD1440.csv",
    ]
    cwd = Path.cwd()
    os.chdir(work)
    try:
        done = CliRunner().invoke(app, ["simulate", *SMALL, "--plan", "ftmo/2-step", *bars])
    finally:
        os.chdir(cwd)
    assert done.exit_code == 0, done.output
    assert "ftmo/2-step" in done.output


def test_json_output_of_a_historical_size_is_one_document(folder: Path) -> None:
    run(folder, "bars", "import", "eurusd.csv")
    run(folder, *["state", "push", "ftmo-1", "--balance", "100000", "--equity", "100000"])
    env = {"ARIA_DATABASE_URL": f"sqlite:///{folder / 'aria.db'}"}
    args = ["size", "-a", "ftmo-1", "--symbol", "EURUSD", "--side", "long", "--entry", "1.085"]
    with freeze_time(OPEN_MARKET):
        done = CliRunner().invoke(
            app, [*args, "--stop-atr", "2", "--as-of", "2018-12-20T12:00Z", "--json"], env=env
        )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["decisions"][0]["status"] == "approved"
    assert "ATR of EURUSD as of 2018-12-20 12:00 UTC" in done.stderr
