"""The typed client against a real ``aria serve``: retries keep the request id, errors map to
the client's tree, and the copier flow releases what was not placed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from aria.client import (
    AriaClient,
    AsyncAriaClient,
    AuthError,
    Forbidden,
    Invalid,
    NotFound,
    Retry,
    Signal,
    placed_position,
)
from aria.service.keys import create_key
from storage.engine import make_engine
from tests.builders import always_open_instruments, open_account, push
from tests.databases import make_context
from tests.e2e.processes import Proxy, free_port, serve
from tests.templates import sqlite_copy

GBPUSD = Signal(symbol="GBPUSD", side="long", entry=Decimal("1.2700"), stop=Decimal("1.2600"))
FAST = Retry(attempts=3, backoff=0.01)


@dataclass
class Running:
    """A server, its keys, and the context its database is prepared through."""

    base: str
    key: str  # size + read
    reader: str  # read only
    prepare: Any  # open an account and push its first state, by id


def _running(url: str, engine: Engine, tmp_path: Path) -> Iterator[Running]:
    ctx = make_context(engine)
    key = create_key(ctx, "copier", ["size", "read"]).token
    reader = create_key(ctx, "desk", ["read"]).token

    def prepare(account_id: str) -> None:
        open_account(ctx, account_id)
        push(ctx, account_id, 100_000, 100_000, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))

    # GBPUSD trades around the clock here, so the answers are the same on any day.
    market = {"ARIA_INSTRUMENT_FILES": str(always_open_instruments(tmp_path / "fx.toml"))}
    with serve(url, tmp_path / "serve.log", env=market) as server:
        yield Running(server.base, key, reader, prepare)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One server on a SQLite file for the tests that need no other database."""
    tmp_path = tmp_path_factory.mktemp("client")
    url = sqlite_copy(tmp_path)
    engine = make_engine(url)
    yield from _running(url, engine, tmp_path)
    engine.dispose()


@pytest.fixture
def on_each(database: tuple[str, Engine], tmp_path: Path) -> Iterator[Running]:
    """A server on SQLite, and on PostgreSQL (marked ``postgres``)."""
    yield from _running(*database, tmp_path)


class DropFirstAnswer(httpx.HTTPTransport):
    """Sends the first sizing request to the server, then drops the connection before its
    answer arrives: the server decided and stored; the client never heard."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path == "/v1/sizing" and not self.dropped:
            response.read()
            self.dropped.append(response.json())
            response.close()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


class AsyncDropFirstAnswer(httpx.AsyncHTTPTransport):
    """:class:`DropFirstAnswer` for the async client."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.url.path == "/v1/sizing" and not self.dropped:
            await response.aread()
            self.dropped.append(response.json())
            await response.aclose()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


class DropAfterAnswer:
    """A TCP proxy that forwards its first connection's request, waits until the server has
    answered, and resets the connection instead of passing the answer on; later connections
    pass through."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self.dropped = 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        """Stop listening."""
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            if self.dropped:
                threading.Thread(target=Proxy._pump, args=(client, upstream), daemon=True).start()
                continue
            self.dropped += 1
            threading.Thread(target=self._drop, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _drop(client: socket.socket, upstream: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            request += client.recv(65536)
        head, _, body = request.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += client.recv(65536)
        upstream.sendall(head + b"\r\n\r\n" + body)
        upstream.recv(65536)  # the server has decided, stored and answered
        # A reset, not a clean close: the client's read fails mid-answer.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for end in (client, upstream):
            with contextlib.suppress(OSError):
                end.close()


def test_a_connection_reset_before_the_answer_is_retried_into_the_stored_decision(
    server: Running,
) -> None:
    server.prepare("reset-1")
    host, port = server.base.removeprefix("http://").split(":")
    proxy = DropAfterAnswer((host, int(port)))
    try:
        with AriaClient(f"http://127.0.0.1:{proxy.port}", server.key, retry=FAST) as client:
            answer = client.size(GBPUSD, ["reset-1"], request_id="reset-1")
            assert proxy.dropped == 1
            assert answer.replayed  # the first attempt's decision, answered again
        with AriaClient(server.base, server.key) as direct:
            again = direct.size(GBPUSD, ["reset-1"], request_id="reset-1")
            room = direct.headroom("reset-1").headroom
    finally:
        proxy.close()
    assert [d.decision_id for d in again.decisions] == [d.decision_id for d in answer.decisions]
    assert room is not None
    assert room.reserved == answer.decisions[0].risk_amount  # one reservation, not two


def test_a_sizing_retried_after_a_dropped_connection_returns_the_stored_decision(
    server: Running,
) -> None:
    server.prepare("drop-1")
    transport = DropFirstAnswer()
    with AriaClient(server.base, server.key, retry=FAST, transport=transport) as client:
        answer = client.size(GBPUSD, ["drop-1"])  # no request id: one is made and kept
        assert answer.replayed  # the retry found the first attempt's decisions
        (first,) = transport.dropped
        assert first["replayed"] is False
        assert answer.request_id == first["request_id"]
        assert [d.decision_id for d in answer.decisions] == [
            d["decision_id"] for d in first["decisions"]
        ]
        room = client.headroom("drop-1").headroom
        assert room is not None
        assert room.reserved == answer.decisions[0].risk_amount  # one reservation, not two


def test_the_async_client_retries_with_the_same_request_id(server: Running) -> None:
    server.prepare("drop-2")
    transport = AsyncDropFirstAnswer()

    async def run() -> None:
        async with AsyncAriaClient(
            server.base, server.key, retry=FAST, transport=transport
        ) as client:
            answer = await client.size(GBPUSD, ["drop-2"], request_id="copy-7")
            assert answer.replayed
            assert answer.request_id == "copy-7"
            (first,) = transport.dropped
            assert answer.decisions[0].decision_id == first["decisions"][0]["decision_id"]

    asyncio.run(run())


def test_error_answers_map_to_the_client_s_exceptions(server: Running) -> None:
    server.prepare("err-1")
    with AriaClient(server.base, "aria_not-a-key", retry=FAST) as stranger:
        with pytest.raises(AuthError) as unknown_key:
            stranger.accounts()
        assert unknown_key.value.status == 401
    with AriaClient(server.base, server.reader, retry=FAST) as reader, pytest.raises(Forbidden):
        reader.size(GBPUSD, ["err-1"])
    with AriaClient(server.base, server.key, retry=FAST) as client:
        with pytest.raises(NotFound, match="no-such-account"):
            client.headroom("no-such-account")
        with pytest.raises(NotFound):
            client.cancel("0" * 32)
        with pytest.raises(Invalid, match="WHEAT") as invalid:
            client.size(GBPUSD.model_copy(update={"symbol": "WHEAT"}), ["err-1"])
        assert invalid.value.status == 422
        assert invalid.value.code == "invalid_input"
        with pytest.raises(Invalid, match=r"0 \(buy\) or 1 \(sell\)"):
            client.push_state(
                "err-1", balance=1, equity=1, positions=[{"volume": 1, "price_open": 1, "type": 9}]
            )


def test_the_async_client_maps_errors_too(server: Running) -> None:
    async def run() -> None:
        async with AsyncAriaClient(server.base, server.key, retry=FAST) as client:
            with pytest.raises(NotFound):
                await client.account("nobody")
        async with AsyncAriaClient(server.base, "aria_wrong", retry=FAST) as stranger:
            with pytest.raises(AuthError):
                await stranger.headroom("nobody")

    asyncio.run(run())


def test_an_mt5_state_push_with_a_broker_symbol_is_taken_through_http(server: Running) -> None:
    server.prepare("mt5-1")
    server.prepare("aria-1")
    mt5 = {"ticket": 9, "symbol": "GBPUSD.r", "type": "POSITION_TYPE_BUY", "volume": 1}
    mt5 |= {"price_open": 1.27, "sl": 1.26, "tp": 0, "time": 1780405200, "magic": 4}
    aria = {"id": "9", "symbol": "GBPUSD", "side": "long", "lots": "1", "entry": "1.27"}
    aria |= {"stop": "1.26", "opened_at": "2026-06-02T13:00:00Z"}
    body = {"balance": "100000", "equity": "99990", "as_of": dt.datetime.now(dt.UTC).isoformat()}
    headers = {"Authorization": f"Bearer {server.key}"}
    with httpx.Client(base_url=server.base, headers=headers) as http:
        for account_id, position in (("mt5-1", mt5), ("aria-1", aria)):
            pushed = http.put(
                f"/v1/accounts/{account_id}/state", json=body | {"positions": [position]}
            )
            assert pushed.status_code == 200, pushed.text
        bad = http.put(
            "/v1/accounts/mt5-1/state", json=body | {"positions": [mt5 | {"type": "hold"}]}
        )
        assert bad.status_code == 422
        assert "0 (buy) or 1 (sell)" in bad.json()["error"]["message"]
        rooms = [http.get(f"/v1/accounts/{a}/headroom").json() for a in ("mt5-1", "aria-1")]
    for name in ("floors", "headroom", "balance", "equity", "as_of", "trading"):
        assert rooms[0][name] == rooms[1][name]
    assert rooms[0]["headroom"]["open_risk"] != "0"


def _copier_flow(client: AriaClient, first: str, second: str) -> None:
    copy = client.copy_signal(GBPUSD, accounts=[first, second])
    assert sorted(d.account_id for d in copy.approved) == [first, second]
    assert copy.rejected == []
    placed, unplaced = copy.by_account()[first], copy.by_account()[second]
    held = client.headroom(second).headroom
    assert held is not None
    assert held.reserved == unplaced.risk_amount  # held until placed or cancelled

    # The copier placed the first account's order; its position carries the decision id.
    state = client.confirm_placed(
        first,
        balance=100_000,
        equity=100_000,
        positions=[placed_position(placed, ticket=1001)],
    )
    assert state.reservations_matched == 1
    assert client.cancel_unplaced(copy, placed_ids=[placed.decision_id]) == [unplaced.decision_id]
    assert client.cancel_unplaced(copy, placed_ids=[placed.decision_id]) == []  # already released

    released = client.headroom(second).headroom
    assert released is not None
    assert released.reserved == 0
    assert released.available > held.available
    opened = client.headroom(first).headroom
    assert opened is not None
    assert opened.reserved == 0
    assert opened.open_risk > 0  # the placed position now holds the risk itself


def test_the_copier_flow_releases_what_was_not_placed(on_each: Running) -> None:
    on_each.prepare("copy-a")
    on_each.prepare("copy-b")
    with AriaClient(on_each.base, on_each.key, retry=FAST) as client:
        _copier_flow(client, "copy-a", "copy-b")


def test_the_async_copier_flow(server: Running) -> None:
    server.prepare("acopy-a")
    server.prepare("acopy-b")

    async def run() -> None:
        async with AsyncAriaClient(server.base, server.key, retry=FAST) as client:
            copy = await client.copy_signal(GBPUSD, accounts=["acopy-a", "acopy-b"])
            placed = copy.by_account()["acopy-a"]
            await client.confirm_placed(
                "acopy-a",
                balance=100_000,
                equity=100_000,
                positions=[placed_position(placed, ticket=7)],
            )
            assert await client.cancel_unplaced(copy, [placed.decision_id]) == [
                copy.by_account()["acopy-b"].decision_id
            ]
            room = (await client.headroom("acopy-b")).headroom
            assert room is not None
            assert room.reserved == 0
            listed = await client.accounts(owner="alice")
            assert {"acopy-a", "acopy-b"} <= {a.id for a in listed}

    asyncio.run(run())
