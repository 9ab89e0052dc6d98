"""``aria audit verify`` over a database made by an earlier version: every decision replays."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.e2e.processes import run_aria

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "replay_e949a5f.sqlite"


def test_aria_audit_verify_replays_the_older_database(tmp_path: Path) -> None:
    copy = tmp_path / "replay.sqlite"
    shutil.copy(FIXTURE, copy)
    url = f"sqlite:///{copy}"
    upgraded = run_aria(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    verified = run_aria(url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "verified 4 accounts: chains intact, 9 decisions replay exactly" in verified.stdout
    assert "earlier sizing rules" not in verified.stdout
