"""The API under test as the end-to-end tests hold it, and requests they make often."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from aria.service.context import Context
from tests.clocks import SettableClock


@dataclass
class Api:
    """A test client and a key for each role."""

    client: TestClient
    context: Context
    admin: dict[str, str]
    sizer: dict[str, str]
    reader: dict[str, str]
    alice: dict[str, str]  # size + read, restricted to alice's accounts
    clock: SettableClock  # the server's clock: time moves only when a test moves it


STATE = {"balance": "100000", "equity": "100000", "as_of": "2026-06-02T08:59:00Z", "positions": []}
SIGNAL = {"symbol": "GBPUSD", "side": "long", "entry": "1.2700", "stop": "1.2600"}


def opened(api: Api, account_id: str, owner: str = "alice", **extra: Any) -> dict[str, Any]:
    """Open an FTMO 2-Step 100k account and push its first state; its JSON."""
    body = {
        "id": account_id,
        "owner": owner,
        "firm": "ftmo",
        "plan": "2-step",
        "size": 100000,
        **extra,
    }
    response = api.client.post("/v1/accounts", json=body, headers=api.admin)
    assert response.status_code == 201, response.text
    state = api.client.put(f"/v1/accounts/{account_id}/state", json=STATE, headers=api.sizer)
    assert state.status_code == 200, state.text
    return response.json()


def sized(
    api: Api, request_id: str, accounts: Any, headers: dict[str, str] | None = None, **extra: Any
) -> Any:
    """Ask for a size of the GBPUSD signal; the response."""
    body = {"request_id": request_id, "accounts": accounts, **SIGNAL, **extra}
    return api.client.post("/v1/sizing", json=body, headers=headers or api.sizer)
