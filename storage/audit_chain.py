"""The per-account hash chain over decisions and rule events.

``hash = SHA-256(prev_hash ‖ canonical JSON of the record)``, where the record is every
stored field except the hashes themselves. Records of one account are numbered by ``seq``
across both tables, starting at 1 after the genesis hash (64 zeros).
"""

from __future__ import annotations

import hashlib
from typing import Any

from aria.sizing.inputs import canonical_json
from storage.rows import DecisionRow, EventRow

GENESIS = "0" * 64


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """The chain hash of ``record`` following ``prev_hash``."""
    return hashlib.sha256((prev_hash + canonical_json(record)).encode()).hexdigest()


def decision_record(row: DecisionRow) -> dict[str, Any]:
    """What a decision's hash covers."""
    return {
        "type": "decision",
        "id": row.id,
        "request_id": row.request_id,
        "account_id": row.account_id,
        "seq": row.seq,
        "status": row.status,
        "symbol": row.symbol,
        "side": row.side,
        "strategy": row.strategy,
        "lots": row.lots,
        "risk_amount": row.risk_amount,
        "codes": row.codes,
        "binding": row.binding,
        "decision": row.decision,
        "inputs": row.inputs,
        "input_hash": row.input_hash,
        "created_at": row.created_at,
    }


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
