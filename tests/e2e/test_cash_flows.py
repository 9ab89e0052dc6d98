"""Cash flows end to end: ``POST /v1/accounts/{id}/cash-flows``, a state push that reports
one, and ``aria accounts cash-flow`` against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from aria.cli import app
from tests.e2e.clients import Api

runner = CliRunner()


def _ftmo_funded_at_110k(api: Api) -> None:
    """An FTMO funded 100k account whose day of 2 June starts at 110,000 (floor 105,000)."""
    body = {"id": "f1", "owner": "alice", "firm": "ftmo", "plan": "2-step", "phase": "funded"}
    api.clock.move_to("2026-06-01T15:00:00Z")
    created = api.client.post("/v1/accounts", json={**body, "size": 100000}, headers=api.admin)
    assert created.status_code == 201, created.text
    for at in ("2026-06-01T15:00:00Z", "2026-06-02T09:00:00Z"):
        api.clock.move_to(at)
        state = {"balance": "110000", "equity": "110000", "as_of": at}
        pushed = api.client.put("/v1/accounts/f1/state", json=state, headers=api.sizer)
        assert pushed.status_code == 200, pushed.text
    assert pushed.json()["floors"]["daily_loss"] == "105000"


def test_a_payout_through_the_api_moves_the_day_and_is_audited(api: Api) -> None:
    _ftmo_funded_at_110k(api)
    api.clock.move_to("2026-06-02T12:00:00Z")
    response = api.client.post(
        "/v1/accounts/f1/cash-flows",
        json={"kind": "payout", "amount": "8000", "reference": "PAY-7"},
        headers=api.sizer,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["balance"] == "102000"
    assert body["net_cash_flow"] == "-8000"
    assert (body["payouts"], body["payout_requests"]) == (1, 0)
    assert body["floors"] == {"daily_loss": "97000", "max_loss": "90000", "floating_loss": None}
    assert body["events"] == ["cash_flow"]
    api.clock.move_to("2026-06-02T12:01:00Z")
    state = {"balance": "102000", "equity": "102000", "as_of": "2026-06-02T12:01:00Z"}
    pushed = api.client.put("/v1/accounts/f1/state", json=state, headers=api.sizer).json()
    assert pushed["breaches"] == []
    assert pushed["trading"]["status"] != "halted"
    events = api.client.get(
        "/v1/audit/events", params={"account": "f1", "kind": "cash_flow"}, headers=api.admin
    ).json()
    (event,) = events["items"]
    assert (event["actor"], event["detail"]["reference"]) == ("copier", "PAY-7")
    verified = api.client.get("/v1/audit/verify", headers=api.admin).json()
    assert verified["ok"] is True
    again = api.client.post(
        "/v1/accounts/f1/cash-flows",
        json={"kind": "payout", "amount": "8000", "reference": "PAY-7"},
        headers=api.sizer,
    )
    assert again.status_code == 409
    assert "already recorded" in again.json()["error"]["message"]


def test_a_state_push_may_report_its_cash_flows(api: Api) -> None:
    _ftmo_funded_at_110k(api)
    api.clock.move_to("2026-06-02T12:01:00Z")
    state = {
        "balance": "102000",
        "equity": "102000",
        "as_of": "2026-06-02T12:01:00Z",
        "cash_flows": [{"kind": "payout", "amount": "8000", "at": "2026-06-02T12:00:00Z"}],
    }
    pushed = api.client.put("/v1/accounts/f1/state", json=state, headers=api.sizer)
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["breaches"] == []
    assert pushed.json()["events"] == ["cash_flow"]
    assert pushed.json()["floors"]["daily_loss"] == "97000"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"kind": "payout", "amount": "-1"}, 422, "amount"),
        ({"kind": "payout", "amount": "NaN"}, 422, "amount"),
        ({"kind": "bonus", "amount": "1"}, 422, "kind"),
        ({"kind": "payout", "amount": "500000"}, 422, "more than the balance"),
    ],
)
def test_bad_cash_flows_are_refused(
    api: Api, body: dict[str, str], status: int, message: str
) -> None:
    _ftmo_funded_at_110k(api)
    response = api.client.post("/v1/accounts/f1/cash-flows", json=body, headers=api.sizer)
    assert response.status_code == status, response.text
    assert message in response.text
    unknown = api.client.post(
        "/v1/accounts/ghost/cash-flows", json={"kind": "deposit", "amount": "1"}, headers=api.admin
    )
    assert unknown.status_code == 404


def test_an_owner_key_records_cash_flows_only_for_its_own_accounts(api: Api) -> None:
    _ftmo_funded_at_110k(api)  # alice's
    body = {"id": "b1", "owner": "bob", "firm": "ftmo", "plan": "2-step", "size": 100000}
    assert api.client.post("/v1/accounts", json=body, headers=api.admin).status_code == 201
    flow = {"kind": "deposit", "amount": "10"}
    own = api.client.post("/v1/accounts/f1/cash-flows", json=flow, headers=api.alice)
    assert own.status_code == 201
    # Another owner's account is as unknown to the key as a missing one.
    other = api.client.post("/v1/accounts/b1/cash-flows", json=flow, headers=api.alice)
    assert other.status_code == 404


def _aria(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_the_cli_records_a_payout_that_is_no_breach(tmp_path: Path) -> None:
    env = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}"}
    _aria(env, "init")
    with freeze_time("2026-06-01 15:00:00"):
        _aria(
            env,
            "accounts",
            "create",
            "--id",
            "f1",
            "--owner",
            "alice",
            "--firm",
            "ftmo",
            "--plan",
            "2-step",
            "--phase",
            "funded",
            "--size",
            "100000",
        )
        _aria(env, "state", "push", "f1", "--balance", "110000", "--equity", "110000")
    with freeze_time("2026-06-02 09:00:00"):
        out = _aria(env, "state", "push", "f1", "--balance", "110000", "--equity", "110000")
        assert "daily_loss 105,000.00" in out
    with freeze_time("2026-06-02 12:00:00"):
        out = _aria(
            env,
            "accounts",
            "cash-flow",
            "f1",
            "--kind",
            "payout",
            "--amount",
            "8000",
            "--note",
            "monthly split",
        )
        assert out.split() == [
            "f1:",
            "payout",
            "of",
            "8,000.00",
            "recorded;",
            "balance",
            "102,000.00;",
            "net",
            "cash",
            "flow",
            "-8,000.00;",
            "floors",
            "daily_loss",
            "97,000.00,",
            "max_loss",
            "90,000.00;",
            "active",
        ]
        refused = _aria(
            env, "accounts", "cash-flow", "f1", "--kind", "payout", "--amount", "200000", code=2
        )
        assert "more than the balance of 102,000.00" in refused
    with freeze_time("2026-06-02 12:01:00"):
        out = _aria(env, "state", "push", "f1", "--balance", "102000", "--equity", "102000")
        assert "f1: active; floors daily_loss 97,000.00, max_loss 90,000.00" in out
    shown = _aria(env, "accounts", "show", "f1")
    assert "cash flows: daily re_anchor; max loss none" in shown
    assert "net cash flow -8,000.00; payouts 1 paid, 0 requested" in shown
    events = _aria(env, "audit", "events", "--account", "f1")
    assert "cash_flow" in events
    assert "chains intact" in _aria(env, "audit", "verify")
