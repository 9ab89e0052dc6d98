"""Symbol aliases and MT5 positions through the faces: the CLI on a real SQLite file, the API
through the real HTTP stack."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from freezegun import freeze_time

from aria.service.accounts import account_risk
from storage.engine import make_engine
from tests.databases import make_context
from tests.e2e.clients import Api, opened, sized
from tests.e2e.test_cli_commands import aria, env, open_account

__all__ = ["env"]  # the CLI tests' fixture, used here too


@freeze_time("2026-06-02 09:00:00")
def test_cli_adds_and_removes_aliases_and_takes_an_mt5_positions_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    open_account(env)
    added = aria(env, "accounts", "update", "ftmo-1", "--alias", "US30.cash=US30")
    assert "symbol aliases US30.CASH=US30" in added
    both = aria(env, "accounts", "update", "ftmo-1", "--alias", "cable=GBPUSD", "--reason", "r")
    assert "symbol aliases CABLE=GBPUSD, US30.CASH=US30" in both  # added to those kept
    refused = aria(env, "accounts", "update", "ftmo-1", "--alias", "DOW=US31", code=2)
    assert "DOW=US31" in refused
    assert "bad" in aria(env, "accounts", "update", "ftmo-1", "--alias", "bad", code=2)

    positions = tmp_path / "mt5.json"
    mt5 = {"ticket": 3, "symbol": "CABLE", "type": 1, "volume": 0.5, "price_open": 1.27}
    positions.write_text(json.dumps([mt5 | {"sl": 1.28, "tp": 0, "time": 1780387200}]))
    aria(
        env,
        *("state", "push", "ftmo-1", "--balance", "100000", "--equity", "100000"),
        *("--as-of", "2026-06-02T08:59:00Z", "--positions", str(positions)),
    )
    events = aria(env, "audit", "events", "--account", "ftmo-1", "--kind", "symbol_aliases_changed")
    assert events.count("symbol_aliases_changed") == 2
    engine = make_engine(env["ARIA_DATABASE_URL"])
    risk = account_risk(make_context(engine), "ftmo-1")
    engine.dispose()
    assert risk.state is not None
    (held,) = risk.state.positions
    assert (held.id, held.symbol, held.side, held.stop, held.take_profit) == (
        "3",
        "GBPUSD",
        "short",
        Decimal("1.28"),
        None,
    )
    cleared = aria(env, "accounts", "update", "ftmo-1", "--no-aliases")
    assert "symbol aliases none" in cleared


def test_api_sets_aliases_and_sizes_by_them(api: Api) -> None:
    opened(api, "a")
    patched = api.client.patch(
        "/v1/accounts/a", json={"symbol_aliases": {"Cable.pro": "GBPUSD"}}, headers=api.admin
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["symbol_aliases"] == {"CABLE.PRO": "GBPUSD"}
    answer = sized(api, "by-alias", ["a"], symbol="cable.pro")
    assert answer.status_code == 200, answer.text
    assert answer.json()["decisions"][0]["symbol"] == "GBPUSD"
    chained = api.client.patch(
        "/v1/accounts/a", json={"symbol_aliases": {"X": "Y", "Y": "GBPUSD"}}, headers=api.admin
    )
    assert chained.status_code == 422
    assert "not another alias" in chained.json()["error"]["message"]
    unknown = sized(api, "unknown", ["a"], symbol="WHEAT.cash")
    assert unknown.status_code == 422
    assert "'WHEAT.CASH'" in unknown.json()["error"]["message"]
