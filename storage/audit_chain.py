"""The per-account hash chain over decisions and rule events.

``hash = SHA-256(prev_hash ‖ record)``. Records of one account are numbered by ``seq`` across
both tables, starting at 1 after the genesis hash (64 zeros).

A decision's record comes in two formats. Format 2 (written now) is a JSON array of its
scalar columns in a fixed order, then the decision's JSON text and the inputs' JSON text
exactly as stored: nothing is re-serialised on the write path, and the text that was
hashed is the text that is kept. Format 1 (written before the shared parts of the inputs
were stored apart) is the canonical JSON of every column, JSON documents included; such
records still verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aria.sizing.inputs import canonical_json
from storage.rows import DecisionRow, EventRow

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
