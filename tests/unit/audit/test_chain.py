"""The chain's rules over plain records: hashes pinned byte for byte (stored chains must keep
verifying), and the first break found in a sequence of links."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from aria.audit.chain import (
    GENESIS,
    TRACKER_STATE,
    Link,
    decision_hash,
    event_hash,
    first_break,
    inputs_text,
    released_body,
    state_body,
    state_hash,
)

AT = dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC)
DECISION: dict[str, Any] = {
    "id": "d1",
    "request_id": "r1",
    "account_id": "a",
    "seq": 3,
    "status": "approved",
    "symbol": "EURUSD",
    "side": "buy",
    "strategy": None,
    "lots": Decimal("0.50"),
    "risk_amount": Decimal("500.00"),
    "codes": ",,",
    "binding": "daily_loss",
    "decision": '{"lots":"0.50"}',
    "inputs": '{"$parts":{"rules":"ab"},"state":{"x":1}}',
    "input_hash": "f" * 64,
    "created_at": AT,
}


def test_a_format_2_decision_hashes_as_it_always_has() -> None:
    values = DECISION | {"record_format": 2}
    assert (
        decision_hash("1" * 64, values)
        == "2f927c04d0f6eaca14c06c0cb80e416366e4fed6cefc5a8a3e946b2128625c9d"
    )
    # 0.50 and 0.5 are one amount, and a time is its UTC instant, whatever the database gives.
    same = values | {
        "lots": Decimal("0.5"),
        "created_at": AT.astimezone(dt.timezone(dt.timedelta(hours=2))),
    }
    assert decision_hash("1" * 64, same) == decision_hash("1" * 64, values)


def test_a_format_1_decision_hashes_as_it_always_has() -> None:
    values = DECISION | {
        "record_format": 1,
        "lots": "0.5",
        "risk_amount": "500",
        "created_at": AT.isoformat(),
        "inputs": '{"state":{"x":1}}',
    }
    assert (
        decision_hash("1" * 64, values)
        == "2a41007147525f943053bfbd3949b890d9b82179601b095145690457fcb881ec"
    )


def test_events_and_state_records_hash_as_they_always_have() -> None:
    event = {
        "id": "e1",
        "account_id": "a",
        "seq": 4,
        "kind": "halt",
        "detail": {"why": "floor", "n": Decimal("1.5")},
        "actor": "aria",
        "reason": "near the floor",
        "at": AT,
    }
    assert (
        event_hash("2" * 64, event)
        == "d6c63e68af146edfbe570b69d74e926f707e3b27cf8b1f162bab15b1b7ec80ca"
    )
    record = {
        "id": "s1",
        "account_id": "a",
        "seq": 5,
        "kind": "released",
        "body": released_body("expired", ["d2", "d1"]),
        "at": AT,
    }
    assert (
        state_hash("3" * 64, record)
        == "90d6640cfb9aab04ee99d3960d2c33601a05f7485ca5904af69d9b7a923fbf55"
    )


def test_state_bodies_and_inputs_texts_are_the_texts_stored_before() -> None:
    tracker: dict[str, Any] = dict.fromkeys(TRACKER_STATE) | {
        "balance": Decimal("100000.00"),
        "positions": [{"symbol": "EURUSD", "side": "buy", "lots": "1"}],
        "near_floor_streak": 0,
    }
    assert state_body("tracker", tracker) == (
        '{"balance":"100000","day_balance":null,"day_equity":null,"day_equity_high":null,'
        '"day_starts_at":null,"equity":null,"near_floor_streak":0,"peak_closed_balance":null,'
        '"peak_eod_balance":null,"peak_intraday_equity":null,"peaks_as_of":null,'
        '"positions":[{"lots":"1","side":"buy","symbol":"EURUSD"}],"state_as_of":null}'
    )
    assert (
        inputs_text('{"state":{"x":1}}', {"rules": "ab", "others": ["c", "d"]})
        == '{"$parts":{"rules":"ab","others":["c","d"]},"state":{"x":1}}'
    )


def _chain(count: int) -> list[Link]:
    links, previous = [], GENESIS
    for seq in range(1, count + 1):
        values: dict[str, Any] = {
            "id": f"s{seq}",
            "account_id": "a",
            "seq": seq,
            "kind": "tracker",
            "body": "{}",
            "at": AT,
            "prev_hash": previous,
        }
        values["hash"] = previous = state_hash(previous, values)
        links.append(Link("state record", values))
    return links


def test_an_intact_chain_with_its_head_has_no_break() -> None:
    links = _chain(3)
    assert first_break("a", links, lambda: (3, links[-1].values["hash"])) is None
    assert first_break("a", [], lambda: (0, GENESIS)) is None


def test_the_first_break_names_the_record_and_what_is_wrong() -> None:
    links = _chain(4)
    head = (4, links[-1].values["hash"])
    altered = [*links[:1], Link("state record", {**links[1].values, "body": "{1}"}), *links[2:]]
    found = first_break("a", altered, lambda: head)
    assert found is not None
    assert (found.seq, found.record) == (2, "state record s2")
    assert "altered" in found.problem
    gap = first_break("a", [links[0], *links[2:]], lambda: head)
    assert gap is not None
    assert (gap.seq, gap.problem) == (3, "sequence jumps from 1 to 3")
    lost = first_break("a", links, lambda: None)
    assert lost is not None
    assert lost.record == "chain head"
    cut = first_break("a", links[:3], lambda: head)
    assert cut is not None
    assert "4 but 3 records remain" in cut.problem
