"""Checkpoints from the CLI and the API, and verification that never stalls trading."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from typer.testing import CliRunner

from aria.api.routes import audit as audit_routes
from aria.cli import app
from aria.service import audit
from tests.e2e.clients import Api, opened, sized

runner = CliRunner()
NOW = "2026-06-02 09:00:00"


def aria(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        "ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}",
        "ARIA_AUDIT_KEY": "officer-secret",
    }
    aria(values, "init")
    return values


def _trade(env: dict[str, str], account_id: str, request_id: str) -> None:
    aria(
        env,
        *("size", "-a", account_id, "--symbol", "GBPUSD", "--side", "long"),
        *("--entry", "1.27", "--stop", "1.26", "--request-id", request_id),
    )


# The CLI builds ARIA with the wall clock (its composition root reads it): freeze that.
@freeze_time(NOW)
def test_a_checkpoint_kept_outside_catches_a_cut_tail(env: dict[str, str], tmp_path: Path) -> None:
    aria(
        env,
        *("accounts", "create", "--id", "ftmo-1", "--owner", "alice", "--firm", "ftmo"),
        *("--plan", "2-step", "--size", "100000"),
    )
    aria(
        env,
        *("state", "push", "ftmo-1", "--balance", "100000", "--equity", "100000"),
        *("--as-of", "2026-06-02T08:59:00Z"),
    )
    for number in range(3):
        _trade(env, "ftmo-1", f"r{number}")
    kept = tmp_path / "kept.json"
    assert "wrote a checkpoint of 1 chain heads" in aria(
        env, "audit", "checkpoint", "--out", str(kept)
    )
    printed = json.loads(aria(env, "audit", "checkpoint"))
    assert printed["signature"]["algorithm"] == "HMAC-SHA256"
    _trade(env, "ftmo-1", "later")
    assert "the log still holds the signed checkpoint" in aria(
        env, "audit", "verify", "--against", str(kept)
    )
    # Cut the last record and set the stored head back to the one before: self-consistent.
    engine = sa.create_engine(env["ARIA_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TRIGGER sizing_decisions_no_delete"))
        last = connection.execute(
            sa.text("select id, seq, prev_hash from sizing_decisions order by seq desc limit 2")
        ).all()
        for row in last:
            connection.execute(
                sa.text("delete from reservations where decision_id = :d"), {"d": row.id}
            )
            connection.execute(sa.text("delete from sizing_decisions where id = :d"), {"d": row.id})
        connection.execute(
            sa.text("update account_trackers set chain_seq = :s, chain_hash = :h"),
            {"s": last[-1].seq - 1, "h": last[-1].prev_hash},
        )
    engine.dispose()
    assert "chains intact" in aria(env, "audit", "verify")
    output = aria(env, "audit", "verify", "--against", str(kept), code=1)
    assert "no longer holds the checkpoint" in output
    assert "ftmo-1" in output
    forged = json.loads(kept.read_text())
    forged["heads"][0]["count"] -= 1
    kept.write_text(json.dumps(forged))
    assert "signature does not match" in aria(
        env, "audit", "verify", "--against", str(kept), code=1
    )


def test_the_checkpoint_endpoint_needs_a_key_without_an_owner(api: Api) -> None:
    opened(api, "a")
    sized(api, "q0", ["a"])
    response = api.client.get("/v1/audit/checkpoint", headers=api.reader)
    assert response.status_code == 200
    document = response.json()
    assert document["signature"] is None  # the test app has no audit key: unsigned, and says so
    assert [h["account_id"] for h in document["heads"]] == ["a"]
    assert document["heads"][0]["count"] >= 2
    refused = api.client.get("/v1/audit/checkpoint", headers=api.alice)
    assert refused.status_code == 403
    assert api.client.get("/v1/audit/checkpoint", headers=api.sizer).status_code == 403
    assert api.client.get("/v1/audit/checkpoint").status_code == 401


def test_sizing_answers_while_a_verification_is_running(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened(api, "a")
    sized(api, "q0", ["a"])
    inside, release = threading.Event(), threading.Event()
    real = audit.verify

    def held(*args: Any, **kwargs: Any) -> audit.VerifyReport:
        # Hold the verification's read transaction open until the test has traded.
        ctx = args[0]
        with ctx.read_unit() as uow:
            uow.audit.verify_chain("a")
            inside.set()
            release.wait(timeout=20)
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_routes.audit, "verify", held)
    answers: list[Any] = []
    verifier = threading.Thread(
        target=lambda: answers.append(api.client.get("/v1/audit/verify", headers=api.reader))
    )
    verifier.start()
    try:
        assert inside.wait(timeout=20)
        second = api.client.get("/v1/audit/verify", headers=api.reader)
        traded = sized(api, "during", ["a"])
        still_open = not release.is_set() and verifier.is_alive()
    finally:
        release.set()
        verifier.join()
    assert second.status_code == 503
    assert second.json()["error"]["code"] == "busy"
    assert second.headers["retry-after"]
    assert traded.status_code == 200
    assert still_open  # the trade was answered while the verification held its transaction
    assert answers[0].json()["ok"] is True
