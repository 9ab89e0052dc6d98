"""The per-account hash chain: how a link is computed, and how a sequence of links verifies.

``hash = SHA-256(prev_hash ‖ record)``. Records of one account are numbered by ``seq``
across decisions, rule events and state records, starting at 1 after the genesis hash (64
zeros). Every function here works on plain values (a mapping of a record's stored fields),
so the rules read the same whoever stores the records.

A decision's record comes in two formats. Format 2 (written now) is a JSON array of its
scalar fields in a fixed order, then the decision's JSON text and the inputs' JSON text
exactly as stored: nothing is re-serialised on the write path, and the text that was
hashed is the text that is kept. Format 1 (written before the shared parts of the inputs
were stored apart) is the canonical JSON of every field, JSON documents included; such
records still verify.

State records chain what moves a floor or headroom but lives in mutable rows: each write of
an account or a tracker appends a copy of its risk-critical fields (``account``,
``tracker``), and each reservation that stops being live appends its new status
(``released``); see :mod:`aria.audit.state` for how they are checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aria.audit.record import DecisionRecord
from aria.audit.records import ChainBreak
from aria.sizing.inputs import canonical_json

GENESIS = "0" * 64
CURRENT_FORMAT = 2
PARTS_KEY = "$parts"  # the key of a format-2 inputs text that maps each shared part to its digest

Values = Mapping[str, Any]  # a record's stored fields by name


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """The chain hash of a record given as one canonical JSON document."""
    return hashlib.sha256((prev_hash + canonical_json(record)).encode()).hexdigest()


def decision_hash(prev_hash: str, values: Values) -> str:
    """The chain hash of a decision with these stored fields (either format)."""
    if values["record_format"] == 1:
        record = _header(values) | {
            "decision": json.loads(values["decision"]),
            "inputs": json.loads(values["inputs"]),
        }
        return record_hash(prev_hash, record)
    header = json.dumps([_plain(values[field]) for field in _HEADER], separators=(",", ":"))
    text = "\n".join((prev_hash, header, values["decision"], values["inputs"]))
    return hashlib.sha256(text.encode()).hexdigest()


# Format 2's header: these fields' values, in this order, as one JSON array.
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


def _header(values: Values) -> dict[str, Any]:
    return {"type": "decision"} | {field: values[field] for field in _HEADER[1:]}


def event_record(values: Values) -> dict[str, Any]:
    """What an event's hash covers."""
    return {
        "type": "event",
        "id": values["id"],
        "account_id": values["account_id"],
        "seq": values["seq"],
        "kind": values["kind"],
        "detail": values["detail"],
        "actor": values["actor"],
        "reason": values["reason"],
        "at": values["at"],
    }


def event_hash(prev_hash: str, values: Values) -> str:
    """The chain hash of a rule event with these stored fields."""
    return record_hash(prev_hash, event_record(values))


def state_hash(prev_hash: str, values: Values) -> str:
    """The chain hash of a state record with these stored fields; ``body`` is hashed as text."""
    header = json.dumps(
        ["state", *(values[c] for c in ("id", "account_id", "seq", "kind")), _plain(values["at"])],
        separators=(",", ":"),
    )
    return hashlib.sha256("\n".join((prev_hash, header, values["body"])).encode()).hexdigest()


def inputs_text(own_json: str, parts: Mapping[str, str | list[str]]) -> str:
    """A format-2 inputs text: the shared parts' digests, then the account's own parts."""
    refs = json.dumps(dict(parts), separators=(",", ":"))
    body = own_json[1:-1]
    return "{" + f'"{PARTS_KEY}":{refs}' + ("," + body if body else "") + "}"


def linked_decision(
    record: DecisionRecord,
    *,
    record_id: str,
    request_id: str,
    scope: str,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
) -> dict[str, Any]:
    """A decision's stored columns in the current format, linked after ``prev_hash``."""
    decision = record.decision
    values: dict[str, Any] = {
        "id": record_id,
        "request_id": request_id,
        "request_scope": scope,
        "account_id": decision.account_id,
        "seq": seq,
        "status": decision.status,
        "symbol": decision.symbol,
        "side": decision.side,
        "strategy": record.strategy,
        "lots": decision.lots,
        "risk_amount": decision.risk_amount,
        "codes": "," + ",".join(decision.reject_codes) + ",",
        "binding": decision.binding,
        "decision": record.decision_json,
        "inputs": inputs_text(record.own_json, record.refs),
        "input_hash": decision.input_hash,
        "record_format": CURRENT_FORMAT,
        "created_at": at,
        "prev_hash": prev_hash,
    }
    values["hash"] = decision_hash(prev_hash, values)
    return values


def split_inputs(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The account's own parts and the shared parts' digests of a format-2 inputs text."""
    own = json.loads(text)
    return own, own.pop(PARTS_KEY, {})


# The fields a state record copies: everything that can move a floor or headroom, and not the
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
    "cash_net",
    "cash_payouts",
    "cash_requests",
    "cash_max_loss_floor",
    "risk_violations",
    "over_risk_cap",
)
STATE_FIELDS = {"account": ACCOUNT_STATE, "tracker": TRACKER_STATE}
# Tracker fields added after copies were chained: left out of the body while zero or unset,
# so a tracker no cash flow or risk violation has touched still matches the copies chained
# before them.
_LATER_FIELDS = frozenset(
    {
        "cash_net",
        "cash_payouts",
        "cash_requests",
        "cash_max_loss_floor",
        "risk_violations",
        "over_risk_cap",
    }
)


def state_body(kind: str, values: Values) -> str:
    """The canonical text of an account's or a tracker's risk-critical fields."""
    return canonical_json(
        {
            field: values[field]
            for field in STATE_FIELDS[kind]
            if field not in _LATER_FIELDS or values.get(field)
        }
    )


def released_body(status: str, decision_ids: list[str]) -> str:
    """The canonical text of reservations that stopped being live, and why."""
    return canonical_json({"status": status, "decisions": sorted(decision_ids)})


@dataclass(frozen=True, slots=True)
class Link:
    """One stored record of a chain: its kind, its fields, and the hashes stored with it."""

    kind: str  # "decision", "event" or "state record"
    values: Values  # its stored fields (``id``, ``seq``, ``prev_hash`` and ``hash`` among them)

    @property
    def seq(self) -> int:
        """Its place in the account's chain."""
        return int(self.values["seq"])

    def computed(self) -> str:
        """The hash its content and its stored previous hash give."""
        digest = _DIGESTS[self.kind]
        return digest(self.values["prev_hash"], self.values)


_DIGESTS = {"decision": decision_hash, "event": event_hash, "state record": state_hash}


def first_break(
    account_id: str, links: Iterable[Link], head: Callable[[], tuple[int, str] | None]
) -> ChainBreak | None:
    """The first link of ``links`` (in chain order) that does not follow from the one before,
    or a head that does not match the end.

    ``head`` gives the stored head (records counted, hash of the last; ``None`` when it was
    lost), asked once every link has been read: a head is written after its records.
    """
    previous, count = GENESIS, 0
    for link in links:
        seq, name, values = link.seq, f"{link.kind} {link.values['id']}", link.values
        expected = count + 1
        if seq != expected:
            return ChainBreak(account_id, seq, name, f"sequence jumps from {expected - 1} to {seq}")
        if values["prev_hash"] != previous:
            return ChainBreak(
                account_id, seq, name, "its previous-hash does not match the record before it"
            )
        if link.computed() != values["hash"]:
            return ChainBreak(
                account_id,
                seq,
                name,
                "its content does not match its hash (altered after it was written)",
            )
        previous, count = values["hash"], expected
    found = head()
    if found is None:
        return ChainBreak(
            account_id,
            count,
            "chain head",
            f"the account has {count} records but no chain head (its head was deleted)",
        )
    head_seq, head_hash = found
    if (head_seq, head_hash) != (count, previous):
        return ChainBreak(
            account_id,
            head_seq,
            "chain head",
            f"the account's chain head is record {head_seq} but {count} records remain"
            if head_seq != count
            else "the account's chain head does not match its last record",
        )
    return None
