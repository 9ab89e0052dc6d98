"""How an account's mutable rows are checked against its chain: the account's settings and its
tracker against their last chained copy, and its reservations against the approved decisions
and their chained releases. A change made by SQL alone is found here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Held:
    """A reservation as stored: what it holds and whether it is still live."""

    decision_id: str
    status: str
    lots: Decimal
    amount: Decimal
    swing: Decimal | None
    reduce_only: bool
    symbol: str
    side: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Approved:
    """An approved decision as stored: what its reservation must hold."""

    id: str
    lots: Decimal
    risk_amount: Decimal
    binding: str | None
    decision: str  # the decision's JSON text as stored
    symbol: str
    side: str
    created_at: dt.datetime


def state_problem(
    chained: Iterable[tuple[str, str]],
    stored: Mapping[str, str | None],
    reservations: Sequence[Held],
    approved: Sequence[Approved],
) -> str | None:
    """Why an account's rows differ from its chain, or ``None``.

    ``chained`` is its state records' (kind, body) in chain order; ``stored`` the bodies its
    ``account`` and ``tracker`` rows give now (``None``: the row is missing).
    """
    last: dict[str, str] = {}
    released: dict[str, str] = {}
    for kind, body in chained:
        if kind == "released":
            change = json.loads(body)
            released.update(dict.fromkeys(change["decisions"], change["status"]))
        else:
            last[kind] = body
    for kind, label in (("account", "settings"), ("tracker", "tracker")):
        now_body = stored.get(kind)
        if now_body is None:
            continue  # a missing row frees nothing; the chain head check sees a lost tracker
        if kind not in last:
            return f"its {label} row has no chained record"
        if now_body != last[kind]:
            chained_fields, now = json.loads(last[kind]), json.loads(now_body)
            fields = sorted(
                k for k in now.keys() | chained_fields.keys() if now.get(k) != chained_fields.get(k)
            )
            return (
                f"its {label} row differs from its last chained record"
                f" ({', '.join(fields)}): changed outside ARIA"
            )
    return _reservations_problem({r.decision_id: r for r in reservations}, approved, released)


def _reservations_problem(
    rows: dict[str, Held], approved: Sequence[Approved], released: dict[str, str]
) -> str | None:
    # Every approved decision holds a reservation holding what it answered.
    for decision in approved:
        row = rows.pop(decision.id, None)
        if row is None:
            return f"reservation {decision.id} is missing (removed outside ARIA)"
        if (row.symbol, row.side, row.created_at) != (
            decision.symbol,
            decision.side,
            decision.created_at,
        ):
            # What it holds (symbol and side drive correlation, closes and matching) and
            # when it began (its lifetime counts from then) are its decision's.
            return f"reservation {decision.id} differs from its decision: changed outside ARIA"
        status = released.pop(decision.id, "live")
        if row.status != status:
            return (
                f"reservation {decision.id} is {row.status} but its chained status is"
                f" {status}: changed outside ARIA"
            )
        if status == "live" and not holds(row, decision):
            # Only a live reservation holds headroom, so only its amounts matter.
            return f"reservation {decision.id} holds other lots or risk than its decision"
    if rows:
        return f"reservation {sorted(rows)[0]} has no approved decision of this account"
    if released:
        return f"reservation {sorted(released)[0]} was released but is missing"
    return None


def holds(row: Held, decision: Approved) -> bool:
    """True when a reservation holds what its approved decision answered."""
    closing = decision.binding == "reduce_only"  # a close holds its lots, no risk and no swing
    if row.reduce_only is not closing or row.lots != decision.lots:
        return False
    if closing:
        return row.amount == 0 and row.swing in (None, 0)
    # Absent: decided before swings were reserved.
    swing = json.loads(decision.decision).get("swing_amount", "absent")
    return row.amount == decision.risk_amount and (
        swing == "absent" or row.swing == (None if swing is None else Decimal(swing))
    )
