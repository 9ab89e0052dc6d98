"""Decisions recorded by an earlier version still replay, byte for byte, under today's code.

``tests/data/replay_e949a5f.sqlite`` was made by ``tests/data/make_replay_fixture.py`` at
commit ``e949a5f``. Each test works on a copy, brought to the current schema first.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from aria.bootstrap import build
from aria.service.audit import verify
from aria.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "replay_e949a5f.sqlite"

# What make_replay_fixture.py recorded: (request id, account, status, reject codes).
RECORDED = [
    ("close-1", "ftmo-1", "approved", []),
    ("signal-1", "fp-1", "approved", []),
    ("signal-1", "ftmo-1", "approved", []),
    ("signal-1", "ftmo-2", "approved", []),
    ("signal-2", "ts-1", "rejected", ["instrument_not_allowed"]),
    ("signal-3", "ftmo-1", "approved", []),
    ("signal-4", "ftmo-2", "rejected", ["halted"]),
    ("signal-5", "fp-1", "rejected", ["halted", "daily_loss_headroom"]),
    ("signal-5", "ftmo-1", "approved", []),
]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the fixture: verifying must never be able to change the original."""
    target = tmp_path / "replay.sqlite"
    shutil.copy(FIXTURE, target)
    return target


def test_the_fixture_holds_what_its_script_recorded(copy: Path) -> None:
    connection = sqlite3.connect(copy)
    try:
        rows = connection.execute(
            "select request_id, account_id, status, decision from sizing_decisions"
        ).fetchall()
    finally:
        connection.close()
    recorded = sorted(
        (request_id, account_id, status, json.loads(decision)["reject_codes"])
        for request_id, account_id, status, decision in rows
    )
    assert recorded == RECORDED


def test_every_decision_made_by_the_older_code_replays_identically(copy: Path) -> None:
    app = build(Settings(database_url=f"sqlite:///{copy}"), migrate=True)
    try:
        report = verify(app.context)
    finally:
        app.close()
    assert report.problem is None
    assert report.ok
    assert report.accounts == 4
    # Every decision was made under the current sizing engine: replayed, none merely "older".
    assert report.older == 0
    assert report.decisions == len(RECORDED)
