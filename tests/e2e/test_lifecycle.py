"""An account's life through the faces: the CLI against a real SQLite file, and the API through
the real HTTP stack — promote, reset, archive, unarchive, change, and forced re-enables."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from aria.service.keys import create_key
from tests.e2e.clients import STATE, Api, opened, sized
from tests.e2e.test_cli_commands import aria, env, open_account

__all__ = ["env"]  # the CLI tests' fixture, used here too

FAIL = {**STATE, "as_of": "2026-06-02T08:59:30Z", "equity": "94900"}  # through 95,000, hard


@freeze_time("2026-06-02 09:00:00")
def test_cli_lifecycle_commands(env: dict[str, str]) -> None:
    open_account(env)
    push = ("state", "push", "ftmo-1", "--balance", "100000")
    aria(env, *push, "--equity", "100000", "--as-of", "2026-06-02T08:58:00Z")
    assert "halted" in aria(env, *push, "--equity", "94900", "--as-of", "2026-06-02T08:59:00Z")
    refused = aria(env, "accounts", "enable", "ftmo-1", "--reason", "appeal", code=2)
    assert "failed a hard rule of its firm" in refused
    assert "needs force with a reason" in refused
    forced = aria(env, "accounts", "enable", "ftmo-1", "--reason", "firm reversed", "--force")
    assert "active — re-enabled by cli: firm reversed" in forced
    challenge = aria(env, "accounts", "show", "ftmo-1")
    assert "target 10,000.00 on closed balance flat: trading profit 0.00, 10,000.00 to go" in (
        challenge
    )
    assert "promoted to verification (100,000); active" in aria(
        env, "accounts", "promote", "ftmo-1", "--reason", "passed", "--to", "verification"
    )
    shown = aria(env, "accounts", "show", "ftmo-1")
    assert "ftmo/2-step@2024-11 verification 100,000" in shown
    assert "no state pushed yet" in shown
    assert (
        "objectives (verification): target 5,000.00 on closed balance flat;"
        " trading days 0 of 4; no time limit"
    ) in shown
    assert "the phase after 'verification'" in aria(
        env, "accounts", "promote", "ftmo-1", "--reason", "x", "--to", "challenge", code=2
    )
    updated = aria(
        env,
        "accounts",
        "update",
        "ftmo-1",
        "--label",
        "FTMO verification",
        "--profile",
        "spark",
        "--no-strategy",
        "--personality",
        "1.1",
        "--reason",
        "new desk",
    )
    assert "ftmo-1 (FTMO verification): profile spark; strategy —; personality 1.1" in updated
    assert "archived; halted (archived)" in aria(
        env, "accounts", "archive", "ftmo-1", "--reason", "retired"
    )
    aria(env, *push, "--equity", "100000", "--as-of", "2026-06-02T09:00:00Z")
    decided = aria(
        env,
        "size",
        "-a",
        "ftmo-1",
        "--symbol",
        "GBPUSD",
        "--side",
        "long",
        "--entry",
        "1.27",
        "--stop",
        "1.26",
        "--json",
        code=3,  # every account rejected: the account is archived
    )
    assert '"account_archived"' in decided
    assert "unarchive it before you enable it" in aria(
        env, "accounts", "enable", "ftmo-1", "--reason", "x", "--force", code=2
    )
    assert "unarchived; active" in aria(env, "accounts", "unarchive", "ftmo-1", "--reason", "back")
    assert "evaluation reset; active" in aria(
        env, "accounts", "reset", "ftmo-1", "--reason", "bought a reset"
    )
    trail = aria(env, "audit", "events", "--account", "ftmo-1")
    for kind in (
        "enabled_forced",
        "account_promoted",
        "label_changed",
        "profile_changed",
        "strategy_changed",
        "personality_changed",
        "account_archived",
        "account_unarchived",
        "account_reset",
    ):
        assert kind in trail
    assert "chains intact" in aria(env, "audit", "verify")


def test_api_lifecycle_endpoints(api: Api) -> None:
    opened(api, "a")
    failed = api.client.put("/v1/accounts/a/state", json=FAIL, headers=api.sizer)
    assert failed.json()["trading"]["halt"] == "failed"
    refused = api.client.post("/v1/accounts/a/enable", json={"reason": "x"}, headers=api.admin)
    assert refused.status_code == 409
    assert "needs force with a reason" in refused.json()["error"]["message"]
    assert api.client.get("/v1/accounts/a", headers=api.reader).json()["trading"]["halt"] == (
        "failed"
    )
    forced = api.client.post(
        "/v1/accounts/a/enable", json={"reason": "reversed", "force": True}, headers=api.admin
    )
    assert forced.status_code == 200
    assert forced.json()["trading"]["status"] == "active"
    promoted = api.client.post(
        "/v1/accounts/a/promote", json={"reason": "passed"}, headers=api.admin
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["phase"] == "verification"
    room = api.client.get("/v1/accounts/a/headroom", headers=api.reader).json()
    assert room["rulebook"] == "ftmo/2-step@2024-11 verification 100,000"
    assert (room["floors"], room["balance"]) == (None, None)
    goals = room["objectives"]
    assert (goals["phase"], goals["target"], goals["profit"]) == ("verification", "5000", None)
    assert (goals["trading_days"], goals["min_trading_days"], goals["passed"]) == (0, 4, False)
    funded = api.client.post(
        "/v1/accounts/a/promote", json={"reason": "funded", "size": "200000"}, headers=api.admin
    )
    assert (funded.json()["phase"], funded.json()["initial_balance"]) == ("funded", "200000")
    last = api.client.post("/v1/accounts/a/promote", json={"reason": "x"}, headers=api.admin)
    assert last.status_code == 409
    assert "last phase" in last.json()["error"]["message"]
    assert (
        api.client.post("/v1/accounts/a/reset", json={"reason": "x"}, headers=api.admin).status_code
        == 409
    )
    renamed = api.client.patch(
        "/v1/accounts/a", json={"label": "funded #1", "strategy": "swing"}, headers=api.admin
    )
    assert (renamed.json()["label"], renamed.json()["strategy"]) == ("funded #1", "swing")
    archived = api.client.post("/v1/accounts/a/archive", json={"reason": "done"}, headers=api.admin)
    assert archived.json()["trading"]["halt"] == "archived"
    later = {**STATE, "as_of": "2026-06-02T09:00:00Z", "balance": "200000", "equity": "200000"}
    assert api.client.put("/v1/accounts/a/state", json=later, headers=api.sizer).status_code == 200
    decision = sized(api, "archived", ["a"]).json()["decisions"][0]
    assert decision["reject_codes"] == ["account_archived"]
    events = api.client.get("/v1/audit/events?account=a", headers=api.reader).json()["items"]
    assert [e["kind"] for e in events[:6]] == [
        "day_opened",  # the state pushed while archived: history is still kept
        "account_archived",
        "strategy_changed",
        "label_changed",
        "account_promoted",
        "account_promoted",
    ]
    assert (events[1]["actor"], events[1]["reason"]) == ("ops", "done")  # the admin key's name
    back = api.client.post("/v1/accounts/a/unarchive", json={"reason": "x"}, headers=api.admin)
    assert back.json()["trading"]["status"] == "active"


@pytest.mark.parametrize("action", ["promote", "reset", "archive", "unarchive"])
def test_lifecycle_endpoints_need_the_admin_scope(api: Api, action: str) -> None:
    for headers in (api.reader, api.sizer):
        response = api.client.post(
            f"/v1/accounts/x/{action}", json={"reason": "x"}, headers=headers
        )
        assert response.status_code == 403
    assert api.client.post(f"/v1/accounts/x/{action}", json={"reason": "x"}).status_code == 401


def test_an_owners_admin_key_cannot_change_another_owners_account(api: Api) -> None:
    opened(api, "alice-1")
    bob = {
        "Authorization": f"Bearer {create_key(api.context, 'bob-ops', ['admin'], owner='bob').token}"
    }
    for action in ("promote", "reset", "archive", "unarchive", "enable"):
        response = api.client.post(
            f"/v1/accounts/alice-1/{action}",
            json={"reason": "x", "force": True} if action == "enable" else {"reason": "x"},
            headers=bob,
        )
        assert response.status_code == 404, action
    account = api.client.get("/v1/accounts/alice-1", headers=api.reader).json()
    assert (account["phase"], account["trading"]["status"]) == ("challenge", "active")
    events = api.client.get("/v1/audit/events?account=alice-1", headers=api.reader).json()
    assert [e["kind"] for e in events["items"]] == ["day_opened", "account_opened"]
