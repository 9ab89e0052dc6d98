"""Memory: the resident size of a serving process with 10,000 accounts loaded."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import httpx

from aria.service.keys import create_key
from bench.fixtures import database, populate
from bench.harness import Figure, value
from bench.http import server


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def run(quick: bool, folder: Path) -> list[Figure]:
    """Figure ``memory.rss_mb.<N>_accounts``: after listing all accounts and sizing across them."""
    count = 2000 if quick else 10_000
    with database("sqlite", folder) as db:
        db.clock.current = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        ids = populate(db, count)
        token = create_key(db.context, "bench", ["admin"]).token
        url = str(db.engine.url)
        db.engine.dispose()
        with server(url) as (base, process):
            idle = _rss_mb(process.pid)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                assert len(client.get("/v1/accounts").json()) == count
                numbers = itertools.count()
                for start in range(0, count, 1000):
                    body = {
                        "request_id": f"m-{next(numbers)}",
                        "accounts": ids[start : start + 1000],
                        "symbol": "EURUSD",
                        "side": "long",
                        "entry": "1.0850",
                        "stop": "1.0800",
                    }
                    client.post("/v1/sizing", json=body).raise_for_status()
                for account_id in ids[:: max(count // 50, 1)]:
                    client.get(f"/v1/accounts/{account_id}/headroom").raise_for_status()
            loaded = _rss_mb(process.pid)
    return [
        value("memory.rss_mb.idle", "MB", [idle]),
        value(f"memory.rss_mb.{count}_accounts", "MB", [loaded]),
    ]
