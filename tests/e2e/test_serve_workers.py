"""``aria serve --workers 2``: two processes on one port, one account's headroom between them."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from aria.service.context import Context
from aria.service.keys import create_key
from tests.builders import always_open_instruments, open_account, push
from tests.databases import make_context
from tests.e2e.processes import serve

D = Decimal
SIGNAL = {"symbol": "GBPUSD", "side": "long", "entry": "1.2700", "stop": "1.2600"}
REQUESTS = 15  # odd: two processes can never have answered as many each


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


def _answered(base: str, headers: dict[str, str]) -> int:
    """Decisions the process that takes this new connection has answered (its own counter)."""
    text = httpx.get(f"{base}/metrics", headers=headers, timeout=30).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("aria_decisions_total{")
        )
    )


@pytest.mark.slow
def test_two_processes_on_one_port_never_reserve_more_than_an_accounts_headroom(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    ctx = make_context(engine)
    _tight(ctx, dt.datetime.now(dt.UTC))
    headers = {"Authorization": f"Bearer {create_key(ctx, 'copier', ['size', 'read']).token}"}
    market = {"ARIA_INSTRUMENT_FILES": str(always_open_instruments(tmp_path / "fx.toml"))}
    log = tmp_path / "serve.log"

    with serve(url, log, "--workers", "2", env=market) as server:
        start = threading.Barrier(REQUESTS)
        answers: list[dict[str, Any]] = []
        lock = threading.Lock()

        def send(worker: int) -> None:
            # A connection each, opened at once: the processes take them as they come.
            with httpx.Client(base_url=server.base, headers=headers, timeout=60) as http:
                start.wait()
                body = {"request_id": f"across-{worker}", "accounts": ["tight"], **SIGNAL}
                response = http.post("/v1/sizing", json=body)
                assert response.status_code == 200, response.text
                with lock:
                    answers.append(response.json()["decisions"][0])

        threads = [threading.Thread(target=send, args=(w,)) for w in range(REQUESTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == REQUESTS, log.read_text()[-3000:]
        approved = [a for a in answers if a["status"] == "approved"]
        assert len(approved) == 3  # across both processes, exactly what the headroom holds
        assert sum(D(str(a["risk_amount"])) for a in approved) <= D(3000)
        assert {tuple(a["reject_codes"]) for a in answers if a not in approved} == {
            ("daily_loss_headroom",)
        }
        # Each process counts what it answered: two different counts adding up to every
        # request means both processes answered some.
        counts = set()
        for _ in range(60):
            counts.add(_answered(server.base, headers))
            if len(counts) == 2:
                break
        assert len(counts) == 2, counts
        assert sum(counts) == REQUESTS, counts
        assert 0 not in counts, counts
    assert server.process.returncode == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()
