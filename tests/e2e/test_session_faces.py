"""The time rules as a user reads them: the next blocking window in ``aria accounts show`` and
the headroom endpoint, and the session reason in ``aria size``."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from aria.cli import app
from tests.e2e.clients import Api, opened

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}"}
    assert runner.invoke(app, ["init"], env=values).exit_code == 0
    return values


def aria(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env, terminal_width=300)
    assert result.exit_code == code, result.output
    return result.output


# Monday 2026-03-09 15:06 CDT (20:06 UTC): 4 minutes before Topstep's 15:10 CT flat-by.
@freeze_time("2026-03-09 20:06:00")
def test_show_and_size_name_the_flat_by_window(env: dict[str, str]) -> None:
    aria(
        env,
        *("accounts", "create", "--id", "ts-1", "--owner", "alice", "--firm", "topstep"),
        *("--plan", "trading-combine", "--phase", "combine", "--size", "50000"),
    )
    aria(
        env,
        *("state", "push", "ts-1", "--balance", "50000", "--equity", "50000"),
        *("--as-of", "2026-03-09T20:06:00Z"),
    )
    shown = aria(env, "accounts", "show", "ts-1")
    assert (
        "sessions for ES (cme_equity): entries refused from 2026-03-09 15:06 America/Chicago"
        " (flat_by_window)" in shown
    )
    sized = aria(
        env,
        *("size", "-a", "ts-1", "--symbol", "ES", "--side", "long"),
        *("--entry", "6000", "--stop", "5990"),
        code=3,  # every account rejected
    )
    assert "flat_by_window" in sized
    assert "ts-1: session: " in sized
    assert "must be flat by 2026-03-09 15:10 America/Chicago" in sized


def test_the_headroom_endpoint_names_the_next_blocking_window(api: Api) -> None:
    # Tuesday 2026-06-02 09:00 UTC. An FTMO challenge has no weekend rule (only the funded
    # phase has): the next window is the FX week's close, Friday 17:00 EDT = 21:00 UTC.
    opened(api, "a")
    room = api.client.get("/v1/accounts/a/headroom", headers=api.reader).json()
    assert room["session"] == {
        "symbol": "EURUSD",
        "calendar": "fx_24_5",
        "starts_at": "2026-06-05T21:00:00Z",
        "codes": ["market_closed"],
        "reasons": [
            "the FX and CFD market is closed for the weekend since 2026-06-05 17:00"
            " America/New_York;"
            " it reopens 2026-06-07 17:00 America/New_York"
        ],
    }
