"""Migrations: up, down and up again; and a trail written before revision 0003 still verifies."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from freezegun import freeze_time
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from accounts.model import Account
from accounts.tracker import Tracker
from aria.audit.chain import GENESIS, record_hash
from aria.service import audit
from aria.service.commands import SizeRequest
from aria.service.sizing import size
from aria.sizing.inputs import canonical_json
from aria.sizing.instruments import load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from firms.catalog import load_catalog
from storage import translate
from storage.rows import AccountRow, Base, TrackerRow
from storage.schema import CODE_REVISION, current_revision, downgrade, head_revision, upgrade
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context

D = Decimal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "preset-aria.json"


def _matches_models(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )


def test_the_migrations_go_up_down_and_up_again(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head_revision()
    downgrade(blank_engine, "base")
    assert current_revision(blank_engine) is None
    upgrade(blank_engine)
    assert _matches_models(blank_engine) == []


def _open_as_0002(engine: Engine, account_id: str) -> None:
    """Open an account the way revision 0002 stored it (without the columns added since)."""
    at = utc(2026, 6, 2, 8, 0)
    account = Account(
        id=account_id,
        owner="alice",
        firm="ftmo",
        plan="2-step",
        phase="challenge",
        rulebook_version="2024-11",
        initial_balance=D(100_000),
    )
    tracker = translate.tracker_values(Tracker.start(account.initial_balance), at)
    rows: tuple[tuple[type[AccountRow] | type[TrackerRow], dict[str, Any]], ...] = (
        (AccountRow, translate.account_values(account, at) | {"created_at": at}),
        (TrackerRow, {"account_id": account_id, "chain_seq": 0, "chain_hash": ""} | tracker),
    )
    added = {"instruments", "options"}  # by revision 0005
    added |= {"cash_net", "cash_payouts", "cash_requests", "cash_max_loss_floor"}  # by 0009
    added |= {"household"}  # by 0010
    added |= {"risk_violations", "over_risk_cap"}  # by 0011
    added |= {"symbol_aliases"}  # by 0014
    with engine.begin() as connection:
        for kind, row in rows:
            columns = [c for c in kind.__table__.c if c.name not in added]
            table = sa.table(kind.__tablename__, *(sa.column(c.name, c.type) for c in columns))
            values = {c.name: row[c.name] for c in columns}
            connection.execute(sa.insert(table).values(values))


def _format_one_decision(engine: Engine, account_id: str) -> str:
    """Write a decision the way revision 0002 did: JSON documents, canonical record hash."""
    document = json.loads(EXAMPLE.read_text())
    document["account"]["id"] = account_id
    inputs = load_scenario(document, load_catalog(), load_instruments())
    decision = decide(inputs)
    # Revision 0002's code hashed the whole inputs as canonical JSON — of its models, which
    # had no take-profit on positions yet: the stored JSON has none either.
    then = inputs.model_dump(mode="python")
    for position in then["state"]["positions"]:
        del position["take_profit"]
    legacy = hashlib.sha256(canonical_json(then).encode())
    decision = decision.model_copy(update={"input_hash": legacy.hexdigest()})
    stored_inputs = inputs.model_dump(mode="json")
    for position in stored_inputs["state"]["positions"]:
        del position["take_profit"]
    postgres = engine.dialect.name == "postgresql"
    as_json = "CAST(:{0} AS JSONB)" if postgres else ":{0}"
    at = utc(2026, 6, 2, 9, 0)
    with engine.begin() as connection:
        seq, chain = connection.execute(
            sa.text("select chain_seq, chain_hash from account_trackers where account_id = :a"),
            {"a": account_id},
        ).one()
        record = {
            "type": "decision",
            "id": "old-decision",
            "request_id": "old-request",
            "account_id": account_id,
            "seq": seq + 1,
            "status": decision.status,
            "symbol": decision.symbol,
            "side": decision.side,
            "strategy": None,
            "lots": decision.lots,
            "risk_amount": decision.risk_amount,
            "codes": ",,",
            "binding": decision.binding,
            # As revision 0002's code wrote it: before swing budgets (engine 1).
            "decision": decision.model_dump(mode="json", exclude={"engine", "swing_amount"}),
            "inputs": stored_inputs,
            "input_hash": decision.input_hash,
            "created_at": at,
        }
        digest = record_hash(chain or GENESIS, record)
        connection.execute(
            sa.text(
                "insert into sizing_requests (request_id, request_hash, request, created_at)"
                f" values ('old-request', '', {as_json.format('r')}, :at)"
            ),
            {"r": "{}", "at": at},
        )
        connection.execute(
            sa.text(
                "insert into sizing_decisions (id, request_id, account_id, seq, status, symbol,"
                " side, strategy, lots, risk_amount, codes, binding, decision, inputs, input_hash,"
                " created_at, prev_hash, hash) values ('old-decision', 'old-request', :a, :seq,"
                f" :status, :symbol, :side, null, :lots, :risk, ',,', :binding,"
                f" {as_json.format('d')}, {as_json.format('i')}, :ih, :at, :prev, :hash)"
            ),
            {
                "a": account_id,
                "seq": seq + 1,
                "status": decision.status,
                "symbol": decision.symbol,
                "side": decision.side,
                "lots": decision.lots if postgres else format(decision.lots, "f"),
                "risk": decision.risk_amount if postgres else format(decision.risk_amount, "f"),
                "binding": decision.binding,
                "d": json.dumps(record["decision"]),
                "i": json.dumps(record["inputs"]),
                "ih": decision.input_hash,
                "at": at if postgres else at.replace(tzinfo=None),
                "prev": chain or GENESIS,
                "hash": digest,
            },
        )
        connection.execute(
            sa.text(
                "insert into reservations (decision_id, account_id, symbol, side, lots, amount,"
                " expires_at, status, created_at) values ('old-decision', :a, :symbol, :side,"
                " '0.1', '10', :at, 'expired', :at)"
            ),
            {
                "a": account_id,
                "symbol": decision.symbol,
                "side": decision.side,
                "at": at if postgres else at.replace(tzinfo=None),
            },
        )
        connection.execute(
            sa.text(
                "update account_trackers set chain_seq = :seq, chain_hash = :hash"
                " where account_id = :a"
            ),
            {"seq": seq + 1, "hash": digest, "a": account_id},
        )
    return digest


def test_a_trail_written_before_revision_3_still_verifies_and_grows(
    blank_engine: Engine, clock: SettableClock
) -> None:
    upgrade(blank_engine, "0002")
    ctx = make_context(blank_engine, clock=clock)  # standing at 2026-06-02 09:00
    _open_as_0002(blank_engine, "a")
    _format_one_decision(blank_engine, "a")

    with freeze_time(clock.now()):  # revision 0007 stamps the records it chains with the wall clock
        upgrade(blank_engine)
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))  # the service runs on the head
    report = audit.verify(ctx)
    assert report.ok, report.problem
    # Chained and fingerprinted (format 1); decided under the rules before swing budgets.
    assert (report.decisions, report.older) == (0, 1)

    ask(ctx, "new-request", ["a"])
    report = audit.verify(ctx)
    assert report.ok, report.problem
    assert (report.decisions, report.older) == (1, 1)
    with pytest.raises(DBAPIError, match="append-only"), blank_engine.begin() as connection:
        connection.execute(sa.text("update sizing_decisions set binding = :b"), {"b": "x"})


def test_request_ids_stored_before_scopes_stay_with_the_unrestricted_keys(
    blank_engine: Engine, clock: SettableClock
) -> None:
    upgrade(blank_engine)
    ctx = make_context(blank_engine, clock=clock)  # standing at 2026-06-02 09:00
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    first = ask(ctx, "kept", ["a"])
    # Down to the revision before scopes and up again: the id and its decision survive.
    downgrade(blank_engine, "0007")
    upgrade(blank_engine)
    assert _matches_models(blank_engine) == []
    again = ask(ctx, "kept", ["a"])
    assert again.replayed
    assert [d.decision_id for d in again.decisions] == [d.decision_id for d in first.decisions]
    owned = size(ctx, SizeRequest.model_validate(_request("kept")), allowed_owner="alice")
    assert not owned.replayed  # alice's namespace never held the id
    report = audit.verify(ctx)
    assert report.ok, report.problem
    with pytest.raises(DBAPIError, match="append-only"), blank_engine.begin() as connection:
        connection.execute(sa.text("update sizing_decisions set binding = :b"), {"b": "x"})


def _request(request_id: str) -> dict[str, object]:
    return {
        "request_id": request_id,
        "accounts": ["a"],
        "symbol": "GBPUSD",
        "side": "long",
        "entry": "1.2700",
        "stop": "1.2600",
    }


NOTIFICATION_TABLES = {"notification_subscriptions", "notification_outbox", "alert_states"}


def test_revision_13_adds_the_notification_and_alert_tables(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0013")
    assert set(sa.inspect(blank_engine).get_table_names()) >= NOTIFICATION_TABLES
    downgrade(blank_engine, "0012")
    assert not NOTIFICATION_TABLES & set(sa.inspect(blank_engine).get_table_names())


def test_the_revision_processes_check_against_is_the_newest_script() -> None:
    # Processes compare the database with CODE_REVISION, not with the scripts: a new
    # revision must move it, or every process would refuse (or accept) the wrong schema.
    assert head_revision() == CODE_REVISION
