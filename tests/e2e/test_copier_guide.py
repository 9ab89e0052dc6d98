"""The copier guide's Python example, run exactly as written against a real server."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from aria.client import AriaClient
from aria.service.keys import create_key
from storage.engine import make_engine
from tests.builders import always_open_instruments, open_account, push
from tests.databases import make_context
from tests.e2e.processes import serve
from tests.templates import sqlite_copy

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "copier.md"


def guide_block(name: str) -> str:
    """The fenced block of ``docs/copier.md`` preceded by ``<!-- example: NAME -->``."""
    pattern = rf"<!-- example: {re.escape(name)} -->\s*\n```[^\n]*\n(.*?)\n```"
    found = re.search(pattern, GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    assert found is not None, f"docs/copier.md has no block <!-- example: {name} -->"
    return found.group(1)


def test_the_guide_s_copier_flow_runs_as_written(tmp_path: Path) -> None:
    url = sqlite_copy(tmp_path)
    engine = make_engine(url)
    ctx = make_context(engine)
    for account_id in ("ftmo-1", "ftmo-2"):
        open_account(ctx, account_id)
        push(ctx, account_id, 100_000, 100_000, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    key = create_key(ctx, "copier", ["size", "read"]).token
    script = tmp_path / "copier.py"
    script.write_text(guide_block("copier-flow"), encoding="utf-8")
    # GBPUSD trades around the clock here, so the example answers alike on any day.
    market = {"ARIA_INSTRUMENT_FILES": str(always_open_instruments(tmp_path / "fx.toml"))}
    with serve(url, tmp_path / "serve.log", env=market) as server:
        ran = subprocess.run(
            [sys.executable, str(script)],
            env={**os.environ, "ARIA_URL": server.base, "ARIA_KEY": key},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.strip() == "placed 1, released 1"
        with AriaClient(server.base, key) as client:
            placed, released = client.headroom("ftmo-1"), client.headroom("ftmo-2")
    engine.dispose()
    assert placed.headroom is not None
    assert released.headroom is not None
    assert released.headroom.reserved == 0
    assert placed.headroom.reserved == 0
    assert placed.headroom.open_risk > 0  # the placed position, valued as GBPUSD
    assert placed.balance == 100_000
