"""An ARIA API over a fresh SQLite file, with one key per role."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aria.api.app import create_app
from aria.bootstrap import SystemClock
from aria.service.context import Context
from aria.service.keys import create_key
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.engine import make_engine
from storage.schema import upgrade
from storage.uow import SqlUnitOfWork, unit_of_work_factory


@dataclass
class Api:
    """A test client and a key for each role."""

    client: TestClient
    context: Context
    admin: dict[str, str]
    sizer: dict[str, str]
    reader: dict[str, str]
    alice: dict[str, str]  # size + read, restricted to alice's accounts


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    engine = make_engine(f"sqlite:///{tmp_path / 'aria.db'}")
    upgrade(engine)
    sessions = unit_of_work_factory(engine)
    context = Context(
        uow=lambda: SqlUnitOfWork(sessions),
        clock=SystemClock(),
        catalog=load_catalog(),
        instruments=load_instruments(),
        tokens=secrets.token_hex,
    )
    keys = {
        "admin": create_key(context, "ops", ["admin"]),
        "sizer": create_key(context, "copier", ["size"]),
        "reader": create_key(context, "risk-desk", ["read"]),
        "alice": create_key(context, "alice-bot", ["size", "read"], owner="alice"),
    }
    with TestClient(
        create_app(context, heartbeat_limit=120), raise_server_exceptions=False
    ) as client:
        yield Api(client, context, **{name: _headers(key.token) for name, key in keys.items()})
    engine.dispose()
