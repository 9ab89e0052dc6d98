"""Per-key rate limits answer 429 with Retry-After; API keys never reach the logs."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aria.api.app import create_app
from aria.api.security import RateLimit
from aria.bootstrap import SystemClock
from aria.cli.serve import _RedactKeys
from aria.service.context import Context
from aria.service.keys import create_key
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.engine import make_engine
from storage.schema import upgrade
from storage.uow import SqlUnitOfWork, unit_of_work_factory


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def context(tmp_path: Path) -> Iterator[Context]:
    engine = make_engine(f"sqlite:///{tmp_path / 'aria.db'}")
    upgrade(engine)
    sessions = unit_of_work_factory(engine)
    yield Context(
        uow=lambda: SqlUnitOfWork(sessions, SystemClock().now),
        clock=SystemClock(),
        catalog=load_catalog(),
        instruments=load_instruments(),
        tokens=secrets.token_hex,
    )
    engine.dispose()


def test_a_key_over_its_limit_gets_429_with_retry_after(context: Context) -> None:
    clock = FakeClock()
    limit = RateLimit(per_second=2, burst=3, clock=clock)
    busy = create_key(context, "busy", ["read"]).token
    calm = create_key(context, "calm", ["read"]).token
    with TestClient(create_app(context, rate_limit=limit)) as client:
        headers = {"Authorization": f"Bearer {busy}"}
        assert [client.get("/v1/firms", headers=headers).status_code for _ in range(3)] == [
            200,
            200,
            200,
        ]
        refused = client.get("/v1/firms", headers=headers)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"  # half a token short at 2 a second
        assert refused.json()["error"]["code"] == "rate_limited"
        # Another key has its own allowance.
        other = client.get("/v1/firms", headers={"Authorization": f"Bearer {calm}"})
        assert other.status_code == 200
        clock.now += 0.5  # one token back
        assert client.get("/v1/firms", headers=headers).status_code == 200
        assert client.get("/v1/firms", headers=headers).status_code == 429


def test_no_limit_when_switched_off(context: Context) -> None:
    token = create_key(context, "bench", ["read"]).token
    limit = RateLimit(per_second=0, burst=1, clock=FakeClock())
    with TestClient(create_app(context, rate_limit=limit)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert {client.get("/v1/firms", headers=headers).status_code for _ in range(20)} == {200}


def test_keys_never_reach_the_logs(context: Context, caplog: pytest.LogCaptureFixture) -> None:
    token = create_key(context, "bot", ["size", "read"]).token
    secret = token.rsplit("_", 1)[-1]
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(context), raise_server_exceptions=False) as client:
        for headers in (
            {"Authorization": f"Bearer {token}"},
            {"Authorization": f"Bearer {token}x"},  # a wrong key
            {"Authorization": f"Bearer {token[:-4]}"},
        ):
            client.get("/v1/accounts", headers=headers)
            client.post("/v1/sizing", headers=headers, json={"request_id": "x", "accounts": []})
    assert secret not in caplog.text
    assert token not in caplog.text


def test_the_serving_log_filter_redacts_bearer_tokens() -> None:
    record = logging.LogRecord(
        "uvicorn", logging.INFO, __file__, 1, "GET / Authorization: Bearer %s", ("aria_k_s",), None
    )
    assert _RedactKeys().filter(record)
    assert "aria_k_s" not in record.getMessage()
    assert "[redacted]" in record.getMessage()
