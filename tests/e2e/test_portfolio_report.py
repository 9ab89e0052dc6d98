"""The portfolio report of one owner: the headroom endpoint's figures, totals that never add
two currencies, the owner's events, from the API and the command line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from aria.cli import app
from tests.e2e.clients import STATE, Api
from tests.e2e.test_report import Page

D = Decimal
EURUSD = {
    "id": "p1",
    "symbol": "EURUSD",
    "side": "long",
    "lots": "2",
    "entry": "1.1000",
    "stop": "1.0950",
    "price": "1.1010",
}
GBPUSD = {
    "id": "p2",
    "symbol": "GBPUSD",
    "side": "short",
    "lots": "1",
    "entry": "1.2700",
    "stop": "1.2800",
    "price": "1.2690",
}


def _open(api: Api, account_id: str, owner: str, state: dict[str, Any], **extra: Any) -> None:
    body = {"id": account_id, "owner": owner, "size": 100000, **extra}
    response = api.client.post("/v1/accounts", json=body, headers=api.admin)
    assert response.status_code == 201, response.text
    pushed = api.client.put(f"/v1/accounts/{account_id}/state", json=state, headers=api.sizer)
    assert pushed.status_code == 200, pushed.text


def _desk(api: Api) -> None:
    """Alice: two FTMO accounts (one in EUR) and a FundingPips one; Bob: one FTMO account."""
    ftmo = {"firm": "ftmo", "plan": "2-step"}
    held = {**STATE, "equity": "99800", "positions": [EURUSD, GBPUSD]}
    _open(api, "a-ftmo", "alice", held, **ftmo)
    _open(api, "a-eur", "alice", {**STATE, "balance": "100500"}, currency="EUR", **ftmo)
    _open(api, "a-pips", "alice", {**STATE, "equity": "99000"}, firm="fundingpips", plan="2-step")
    _open(api, "b-ftmo", "bob", STATE, **ftmo)


def _portfolio(api: Api, headers: dict[str, str], query: str = "?owner=alice") -> Any:
    return api.client.get(f"/v1/reports/portfolio{query}", headers=headers)


def test_the_portfolio_shows_the_headroom_endpoint_s_figures(api: Api) -> None:
    _desk(api)
    answer = _portfolio(api, api.alice)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    page = Page(answer.text)
    for account_id in ("a-ftmo", "a-pips"):
        risk = api.client.get(f"/v1/accounts/{account_id}/headroom", headers=api.alice).json()
        key = f"{account_id}:"
        room = risk["headroom"]
        assert D(page.fields[key + "balance"]) == D(risk["balance"])
        assert D(page.fields[key + "equity"]) == D(risk["equity"])
        assert D(page.fields[key + "headroom-available"]) == D(room["available"])
        assert D(page.fields[key + "headroom-open-risk"]) == D(room["open_risk"])
        for name, distance in room["distances"].items():
            assert D(page.fields[f"{key}distance-{name}"]) == D(distance)
        assert page.fields[key + "trading-status"] == risk["trading"]["status"]
        assert page.fields[key + "objectives-met"] == str(risk["objectives"]["passed"])
    # The positions behind a-ftmo's open risk add up to it.
    losses = [D(page.fields[f"a-ftmo:position-loss-{i}"]) for i in range(2)]
    assert sum(losses) == D(page.fields["a-ftmo:positions-open-risk"]) > 0
    assert page.fields["a-ftmo:positions-open-risk"] == page.fields["a-ftmo:headroom-open-risk"]
    assert "a-pips:positions" in page.empty
    # Bob's account is not on Alice's page.
    assert not any(name.startswith("b-ftmo:") for name in page.fields)


def test_totals_are_per_firm_and_currency_never_across_currencies(api: Api) -> None:
    _desk(api)
    page = Page(_portfolio(api, api.admin).text)
    assert page.fields["total:ftmo:USD:accounts"] == "1"
    assert page.fields["total:ftmo:EUR:accounts"] == "1"
    assert page.fields["total:fundingpips:USD:accounts"] == "1"
    assert page.fields["total:USD:accounts"] == "2"
    assert page.fields["total:EUR:balance"] == "100500"
    usd = D(page.fields["a-ftmo:equity"]) + D(page.fields["a-pips:equity"])
    assert D(page.fields["total:USD:equity"]) == usd == D(198_800)
    headroom = D(page.fields["a-ftmo:headroom-available"]) + D(
        page.fields["a-pips:headroom-available"]
    )
    assert D(page.fields["total:USD:headroom"]) == headroom
    assert "never added together" in "".join(page.text)


def test_the_page_is_self_contained_and_accessible(api: Api) -> None:
    _desk(api)
    text = _portfolio(api, api.alice).text
    page = Page(text)
    assert all(resource.startswith(("data:", "#account-")) for resource in page.resources)
    assert not {"script", "link", "iframe", "object", "embed"} & set(page.tags)
    # One chart, inline, whose text alternative gives each account's figures.
    (chart,) = page.images
    assert chart["src"].startswith("data:image/png;base64,")
    assert chart["alt"].startswith("Distance to the nearest floor")
    for account_id in ("a-ftmo", "a-eur", "a-pips"):
        assert f"{account_id} " in chart["alt"]
    nearest = min(D(v) for k, v in page.fields.items() if k.startswith("a-ftmo:distance-"))
    share = f"{nearest / 1000:.2f} % above it"  # of the 100,000 account size
    assert f"a-ftmo {share}" in chart["alt"]
    assert "url(" not in text
    assert '<th scope="col">' in text
    assert '<th scope="row">' in text
    assert {"h1", "h2", "h3", "nav"} <= set(page.tags)
    for account_id in ("a-ftmo", "a-eur", "a-pips"):
        assert f'id="account-{account_id}"' in text
        assert f'href="#account-{account_id}"' in text
    # Every progress bar is named and says its value in words too.
    assert page.bars
    assert page.fields["a-ftmo:target-progress"] == "0.0"


def test_the_owner_s_events_are_listed_without_daily_resets(api: Api) -> None:
    _desk(api)
    off = {"reason": "desk review"}
    disabled = api.client.post("/v1/accounts/a-pips/disable", json=off, headers=api.admin)
    assert disabled.status_code == 200, disabled.text
    page = Page(_portfolio(api, api.alice).text)
    text = "".join(page.text)
    assert "desk review" in text
    assert "account_opened" in text
    assert "daily_reset" not in text
    assert "day_opened" not in text
    assert page.fields["a-pips:trading-status"] == "halted"


def test_an_owner_s_key_reports_only_its_own_owner(api: Api) -> None:
    _desk(api)
    assert _portfolio(api, api.alice, "?owner=bob").status_code == 403
    assert _portfolio(api, api.alice, "").status_code == 200  # its own owner by default
    assert _portfolio(api, api.reader, "").status_code == 422  # whose, for a key of all?
    assert _portfolio(api, api.reader, "?owner=carol").status_code == 404
    assert _portfolio(api, api.sizer).status_code == 403  # the read scope is needed


def test_the_command_writes_the_portfolio_of_an_owner(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}"}

    def aria(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    aria("init")
    for account_id in ("ftmo-1", "ftmo-2"):
        aria(
            "accounts", "create", "--id", account_id, "--owner", "alice", "--firm", "ftmo",
            "--plan", "2-step", "--size", "100000",
        )  # fmt: skip
    out = tmp_path / "alice.html"
    assert "wrote the portfolio report of alice" in aria(
        "report", "--owner", "alice", "--out", str(out)
    )
    page = Page(out.read_text(encoding="utf-8"))
    assert page.fields["ftmo-1:balance"] == ""  # no state pushed yet
    assert page.fields["total:USD:without-state"] == "2"
    assert "no accounts" in aria("report", "--owner", "nobody", "--out", str(out), code=2)
    assert "--account" in aria("report", "--out", str(out), code=2)
    assert "--from/--to" in aria(
        "report", "--owner", "alice", "--from", "2026-01-01", "--out", str(out), code=2
    )
