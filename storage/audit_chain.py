"""The per-account hash chain over decisions and rule events.

``hash = SHA-256(prev_hash ‖ record)``. Records of one account are numbered by ``seq`` across
both tables, starting at 1 after the genesis hash (64 zeros).

A decision's record comes in two formats. Format 2 (written now) is a JSON array of its
scalar columns in a fixed order, then the decision's JSON text and the inputs' JSON text
exactly as stored: nothing is re-serialised on the write path, and the text that was
hashed is the text that is kept. Format 1 (written before the shared parts of the inputs
were stored apart) is the canonical JSON of every column, JSON documents included; such
records still verify.

State records chain what moves a floor or headroom but lives in mutable rows: each write of
an account row or a tracker row appends a copy of its risk-critical columns (``account``,
``tracker``), and each reservation that stops being live appends its new status
(``released``). Creating a reservation needs no record: the approved decision is its record.
``verify`` then compares the rows with the last chained copy, and every reservation's status
with its release, so a change made by SQL alone is found.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aria.sizing.inputs import canonical_json
from storage.rows import DecisionRow, EventRow, StateRecordRow

GENESIS = "0" * 64
CURRENT_FORMAT = 2
PARTS_KEY = "$parts"  # the key of a format-2 inputs text that maps each shared part to its digest


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """The chain hash of a record given as one canonical JSON document."""
    return hashlib.sha256((prev_hash + canonical_json(record)).encode()).hexdigest()


def decision_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    """The chain hash of a decision with these column values (either format)."""
    if values["record_format"] == 1:
        record = _header(values) | {
            "decision": json.loads(values["decision"]),
            "inputs": json.loads(values["inputs"]),
        }
        return record_hash(prev_hash, record)
    header = json.dumps([_plain(values[column]) for column in _HEADER], separators=(",", ":"))
    text = "\n".join((prev_hash, header, values["decision"], values["inputs"]))
    return hashlib.sha256(text.encode()).hexdigest()


# Format 2's header: these columns' values, in this order, as one JSON array.
_HEADER = (
    "record_format",
    "id",
    "request_id",
    "account_id",
    "seq",
    "status",
    "symbol",
    "side",
    "strategy",
    "lots",
    "risk_amount",
    "codes",
    "binding",
    "input_hash",
    "created_at",
)


def _plain(value: Any) -> Any:
    # One text per value whatever the database gives back: 0.50 and 0.5 are one amount
    # (PostgreSQL keeps the scale it is given, SQLite the text), and a time is its UTC instant.
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def _header(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "decision",
        "id": values["id"],
        "request_id": values["request_id"],
        "account_id": values["account_id"],
        "seq": values["seq"],
        "status": values["status"],
        "symbol": values["symbol"],
        "side": values["side"],
        "strategy": values["strategy"],
        "lots": values["lots"],
        "risk_amount": values["risk_amount"],
        "codes": values["codes"],
        "binding": values["binding"],
        "input_hash": values["input_hash"],
        "created_at": values["created_at"],
    }


def decision_values(row: DecisionRow) -> dict[str, Any]:
    """The column values of a stored decision, as :func:`decision_hash` takes them."""
    return {column: getattr(row, column) for column in _COLUMNS}


_COLUMNS = (
    "id",
    "request_id",
    "account_id",
    "seq",
    "status",
    "symbol",
    "side",
    "strategy",
    "lots",
    "risk_amount",
    "codes",
    "binding",
    "decision",
    "inputs",
    "input_hash",
    "record_format",
    "created_at",
)


def event_record(row: EventRow) -> dict[str, Any]:
    """What an event's hash covers."""
    return {
        "type": "event",
        "id": row.id,
        "account_id": row.account_id,
        "seq": row.seq,
        "kind": row.kind,
        "detail": row.detail,
        "actor": row.actor,
        "reason": row.reason,
        "at": row.at,
    }


def inputs_text(own_json: str, parts: Mapping[str, str | list[str]]) -> str:
    """A format-2 inputs text: the shared parts' digests, then the account's own parts."""
    refs = json.dumps(dict(parts), separators=(",", ":"))
    body = own_json[1:-1]
    return "{" + f'"{PARTS_KEY}":{refs}' + ("," + body if body else "") + "}"


def split_inputs(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The account's own parts and the shared parts' digests of a format-2 inputs text."""
    own = json.loads(text)
    return own, own.pop(PARTS_KEY, {})


# The columns a state record copies: everything that can move a floor or headroom, and not the
# bookkeeping (the chain head itself, write times). A revision that changes these lists must
# append a fresh copy of every row, as 0007 wrote the first ones.
ACCOUNT_STATE = (
    "id",
    "label",
    "owner",
    "firm",
    "plan",
    "phase",
    "rulebook_version",
    "currency",
    "initial_balance",
    "profile",
    "strategy",
    "personality",
    "instruments",
    "options",
    "trading_status",
    "halt_kind",
    "halt_reason",
    "halt_since",
    "halt_until",
    "created_at",
)
TRACKER_STATE = (
    "balance",
    "equity",
    "state_as_of",
    "positions",
    "peak_intraday_equity",
    "peak_eod_balance",
    "peak_closed_balance",
    "peaks_as_of",
    "day_starts_at",
    "day_balance",
    "day_equity",
    "day_equity_high",
    "near_floor_streak",
)
STATE_COLUMNS = {"account": ACCOUNT_STATE, "tracker": TRACKER_STATE}


def state_body(kind: str, row: Any) -> str:
    """The canonical text of a stored account or tracker row's risk-critical columns."""
    return canonical_json({column: getattr(row, column) for column in STATE_COLUMNS[kind]})


def released_body(status: str, decision_ids: list[str]) -> str:
    """The canonical text of reservations that stopped being live, and why."""
    return canonical_json({"status": status, "decisions": sorted(decision_ids)})


def state_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    """The chain hash of a state record with these column values; ``body`` is hashed as text."""
    header = json.dumps(
        ["state", *(values[c] for c in ("id", "account_id", "seq", "kind")), _plain(values["at"])],
        separators=(",", ":"),
    )
    return hashlib.sha256("\n".join((prev_hash, header, values["body"])).encode()).hexdigest()


def state_values(row: StateRecordRow) -> dict[str, Any]:
    """The column values of a stored state record, as :func:`state_hash` takes them."""
    return {c: getattr(row, c) for c in ("id", "account_id", "seq", "kind", "body", "at")}
