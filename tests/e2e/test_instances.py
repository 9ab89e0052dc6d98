"""Many instances on one PostgreSQL: two API servers and a scheduler, and the database cut."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from aria.service.context import Context
from aria.service.keys import create_key
from tests.builders import always_open_instruments, open_account, push
from tests.clocks import FixedClock
from tests.databases import make_context
from tests.e2e.processes import Proxy, jobs, run_aria, serve

D = Decimal
SIGNAL = {"symbol": "GBPUSD", "side": "long", "entry": "1.2700", "stop": "1.2600"}


def _tight(ctx: Context, now: dt.datetime) -> None:
    """Headroom 3,000 (equity 100,000 over a daily floor of 97,000); a lot risks 1,000."""
    open_account(ctx, "tight")
    push(ctx, "tight", 102_000, 100_000, now - dt.timedelta(seconds=5))
    with ctx.unit() as uow:
        _, tracker = uow.accounts.lock(["tight"])["tight"]
        assert tracker.day is not None
        day = tracker.day.model_copy(update={"balance": D(102_000)})
        uow.accounts.save_tracker("tight", tracker.evolve(day=day), now)
        uow.commit()


def _resets(engine: Engine, account_id: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "select count(*) from rule_events where account_id = :a and kind = 'daily_reset'"
                ),
                {"a": account_id},
            ).scalar_one()
        )


@pytest.mark.slow
@pytest.mark.postgres
def test_two_servers_and_a_scheduler_share_one_database(
    postgres_database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = postgres_database
    ctx = make_context(engine)
    # Accounts whose trading day began more than a day ago: the scheduler must roll each once.
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(hours=26)
    past = make_context(engine, clock=FixedClock(yesterday))
    for index in range(10):
        open_account(past, f"rest-{index}")
        push(past, f"rest-{index}", 100_000, 100_000, yesterday - dt.timedelta(minutes=1))
    now = dt.datetime.now(dt.UTC)
    _tight(ctx, now)
    headers = {"Authorization": f"Bearer {create_key(ctx, 'copier', ['size', 'read']).token}"}
    log = tmp_path / "processes.log"
    # The servers take the database's (real) time: GBPUSD trades around the clock here, so
    # the three approvals come on a Saturday too.
    market = {"ARIA_INSTRUMENT_FILES": str(always_open_instruments(tmp_path / "fx.toml"))}

    with serve(url, log, env=market) as first, serve(url, log, env=market) as second:
        start = threading.Barrier(16)
        answers: list[dict[str, object]] = []
        lock = threading.Lock()

        def send(worker: int) -> None:
            base = (first, second)[worker % 2].base
            with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                start.wait()
                body = {"request_id": f"across-{worker}", "accounts": ["tight"], **SIGNAL}
                response = http.post("/v1/sizing", json=body)
                assert response.status_code == 200, response.text
                with lock:
                    answers.append(response.json()["decisions"][0])

        threads = [threading.Thread(target=send, args=(w,)) for w in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        approved = [a for a in answers if a["status"] == "approved"]
        assert len(approved) == 3  # across both servers, exactly what the headroom holds
        assert sum(D(str(a["risk_amount"])) for a in approved) <= D(3000)
        assert {tuple(a["reject_codes"]) for a in answers if a not in approved} == {
            ("daily_loss_headroom",)
        }

        with jobs(url, log):
            deadline = time.monotonic() + 60
            while any(_resets(engine, f"rest-{i}") == 0 for i in range(10)):
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            # A second scheduler by mistake, at the same time: nothing is rolled twice.
            assert run_aria(url, "jobs", "once", "daily_resets").returncode == 0
            health = httpx.get(f"{first.base}/healthz").json()
            assert health["status"] == "ok"  # the scheduler beats for both servers
        assert [_resets(engine, f"rest-{i}") for i in range(10)] == [1] * 10


@pytest.mark.slow
@pytest.mark.postgres
def test_the_database_going_away_gives_503_and_the_server_recovers_without_restart(
    postgres_database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = postgres_database
    ctx = make_context(engine)
    open_account(ctx, "f")
    push(ctx, "f", 100_000, 100_000, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    headers = {"Authorization": f"Bearer {create_key(ctx, 'copier', ['size', 'read']).token}"}
    proxy = Proxy(("127.0.0.1", 5432))
    proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        with (
            serve(proxied, tmp_path / "serve.log") as server,
            httpx.Client(base_url=server.base, headers=headers, timeout=30) as http,
        ):
            body = {"accounts": ["f"], **SIGNAL}
            assert http.post("/v1/sizing", json={"request_id": "before", **body}).status_code == 200
            proxy.cut()
            down = http.post("/v1/sizing", json={"request_id": "during", **body})
            assert down.status_code == 503
            assert "database is unavailable" in down.json()["error"]["message"]
            assert "nothing was written" in down.json()["error"]["message"]
            assert httpx.get(f"{server.base}/healthz").status_code == 503
            proxy.restore()
            after = http.post("/v1/sizing", json={"request_id": "after", **body})
            assert after.status_code == 200, after.text
            retried = http.post("/v1/sizing", json={"request_id": "during", **body})
            assert retried.status_code == 200
            assert retried.json()["replayed"] is False  # the failed attempt left nothing behind
            assert http.get("/v1/audit/verify").json()["ok"]
    finally:
        proxy.stop()
