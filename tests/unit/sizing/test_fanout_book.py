"""Preparing a fan-out's book is linear: each column is allocated once, however many accounts.

And the cross-account gates counted once per owner answer as counting them per account did.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aria.sizing import columns
from aria.sizing import gates as gate_module
from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import RejectCode
from aria.sizing.gates import _order, account_ref, fanout_gates, other_ref, owner_findings
from aria.sizing.inputs import DecisionInputs, OtherAccount
from aria.sizing.instruments import load_instruments
from aria.sizing.limits.base import Floats
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from firms import cross_account
from firms.catalog import load_catalog
from firms.cross_account import AccountRef
from firms.model import PhaseKind
from tests.strategies import family, fanouts

D = Decimal


EXAMPLE = Path(__file__).parents[3] / "examples" / "preset-aria.json"


def _book(count: int) -> list[DecisionInputs]:
    """``count`` accounts of the example (an FTMO plan: firm limits by asset class)."""
    document = json.loads(EXAMPLE.read_text())
    base = load_scenario(document, load_catalog(), load_instruments())
    return [
        base.model_copy(
            update={
                "account": base.account.model_copy(update={"id": f"acct-{index:05d}"}),
                "state": base.state.model_copy(
                    update={"equity": base.state.equity + D(index % 97)}
                ),
            }
        )
        for index in range(count)
    ]


def _allocations(monkeypatch: pytest.MonkeyPatch, count: int) -> int:
    made: list[int] = []
    original = columns.allocate

    def counting(length: int) -> Floats:
        made.append(length)
        return original(length)

    with monkeypatch.context() as patch:
        patch.setattr(columns, "allocate", counting)
        book = prepare(_book(count))
    assert set(made) == {count}  # every column the book's full length
    assert {len(c) for table in book.table.by_class.values() for c in table.values()} == {count}
    return len(made)


def test_each_per_class_column_is_allocated_once_however_many_accounts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    few, many = _allocations(monkeypatch, 10), _allocations(monkeypatch, 1000)
    assert few > 0
    assert many == few  # O(keys), not O(accounts × keys)


def test_a_class_an_account_has_no_limit_for_is_nan_in_its_row() -> None:
    first, second, third = _book(3)
    second = second.model_copy(update={"rules": second.rules.model_copy(update={"limits": None})})
    limits = first.rules.limits
    assert limits is not None
    assert limits.leverage
    book = prepare([first, second, third])
    leverage = book.table.by_class["leverage"]
    assert set(leverage) == set(limits.leverage)
    for asset_class, ratio in limits.leverage.items():
        column = leverage[asset_class]
        assert column[0] == column[2] == float(ratio)
        assert math.isnan(column[1])


def _as_before(inputs: DecisionInputs) -> list[gate_module.Gate]:
    """The fan-out gate counted for one account alone, from its own list of siblings."""
    rules = inputs.rules.cross_account
    if rules is None or (
        rules.allocation_cap is None
        and rules.identical_trading_cap is None
        and rules.copy_trading is None
    ):
        return fanout_gates(inputs)  # no caps of its own: nothing is counted
    me = account_ref(inputs)
    siblings = sorted((o for o in inputs.others if o.same_signal), key=lambda o: (_order(o), o.id))
    refs = {o.id: other_ref(inputs, o) for o in siblings}
    before = [refs[o.id] for o in siblings if _order(o) < inputs.signal_order]
    after = [refs[o.id] for o in siblings if _order(o) >= inputs.signal_order]
    return gate_module._fanout_alone(me, before, after)


def _owned(inputs: list[DecisionInputs], owners: list[int]) -> list[DecisionInputs]:
    """The fan-out with its accounts spread over several owners, each seeing only its own."""
    owner_of = {item.account.id: owners[order] for order, item in enumerate(inputs)}
    return [
        item.model_copy(
            update={
                "account": item.account.model_copy(update={"owner": f"owner-{owners[order]}"}),
                "others": tuple(
                    o
                    for o in item.others
                    if not o.same_signal or owner_of.get(o.id) == owners[order]
                ),
            }
        )
        for order, item in enumerate(inputs)
    ]


@st.composite
def owned_fanouts(draw: st.DrawFn) -> list[DecisionInputs]:
    """One signal to the accounts of one to three owners, their accounts interleaved."""
    inputs = draw(fanouts())
    owners = draw(st.lists(st.integers(0, 2), min_size=len(inputs), max_size=len(inputs)))
    return _owned(inputs, owners)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(owned_fanouts())
def test_the_fan_out_gate_counted_once_per_owner_answers_as_per_account(
    inputs: list[DecisionInputs],
) -> None:
    for item in inputs:
        assert fanout_gates(item) == _as_before(item), item.account.id
    for item in reversed(inputs):  # in any order: what is kept from one account is not another's
        assert fanout_gates(item) == _as_before(item), item.account.id


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(owned_fanouts())
def test_the_batch_decides_accounts_of_several_owners_as_the_pipeline_does(
    inputs: list[DecisionInputs],
) -> None:
    first = inputs[0]
    batch = decide_batch(prepare(inputs), first.request, first.instrument, first.market)
    for index, item in enumerate(inputs):
        decision = decide(item)
        expected = (
            decision.status,
            decision.lots,
            tuple(decision.reject_codes),
            decision.binding,
        )
        assert batch.summary(index) == expected, f"account {index}"


def _funded(account_id: str, owner: str, size: int) -> AccountRef:
    rules = load_catalog().firm("ftmo").cross_account
    return AccountRef(account_id, owner, "ftmo", PhaseKind.FUNDED, D(size), "USD", rules)


def test_an_owners_findings_are_those_of_its_own_list_not_the_last_one_counted() -> None:
    # FTMO caps an owner's funded capital at 400,000: alice's second account passes it, and
    # bob's list, as long as hers, does not.
    alice = (_funded("a-1", "alice", 200_000), _funded("a-2", "alice", 300_000))
    bob = (_funded("b-1", "bob", 100_000), _funded("b-2", "bob", 100_000))
    expected = {a.account_id: list(cross_account.allocation_findings(alice)) for a in alice}
    found = owner_findings(alice)
    (gate,) = found["a-2"][0]
    assert gate[0] is RejectCode.ALLOCATION_CAP
    assert gate[1] == expected["a-2"][0].detail
    assert "a-1" not in found
    assert owner_findings(bob) == {}
    assert owner_findings(alice) == found


LABELS = st.sampled_from([None, "trend", "carry"])


@st.composite
def labelled_fanouts(draw: st.DrawFn) -> list[DecisionInputs]:
    """Owned fan-outs whose signal and accounts carry strategy labels of their own."""
    signal = draw(LABELS)
    relabelled = [
        item.model_copy(
            update={
                "account": item.account.model_copy(update={"strategy": draw(LABELS)}),
                "request": item.request.model_copy(update={"strategy": signal}),
            }
        )
        for item in draw(fanouts())
    ]
    owners = draw(st.lists(st.integers(0, 2), min_size=len(relabelled), max_size=len(relabelled)))
    return _owned(family(relabelled, None), owners)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(labelled_fanouts())
def test_the_counted_form_of_a_strategy_label_answers_as_the_label_itself(
    inputs: list[DecisionInputs],
) -> None:
    for item in inputs:
        assert fanout_gates(item) == _as_before(item), item.account.id


def test_a_label_is_kept_only_where_a_cap_counts_it() -> None:
    ftmo = load_catalog().firm("ftmo").cross_account
    funded = AccountRef("a", "alice", "ftmo", PhaseKind.FUNDED, D(1), "USD", ftmo, "trend")
    assert gate_module.counted(funded) is funded  # FTMO caps funded capital per strategy
    challenge = AccountRef(
        "a", "alice", "ftmo", PhaseKind.EVALUATION, D(1), "USD", ftmo, "x", household="h"
    )
    assert gate_module.counted(challenge) == AccountRef(
        "a", "alice", "ftmo", PhaseKind.EVALUATION, D(1), "USD", ftmo, None, household="h"
    )


def _one_owner(count: int) -> list[DecisionInputs]:
    """``count`` accounts of one owner taking a signal labelled otherwise than the accounts."""
    book = _book(count)
    assert book[0].request.strategy is not None
    assert book[0].account.strategy != book[0].request.strategy
    return family(book, None)


def _work(monkeypatch: pytest.MonkeyPatch, count: int) -> tuple[int, int]:
    """(owner lists counted, sibling refs built) deciding the fan-out gate of every account."""
    counted: list[int] = []
    built: list[str] = []
    count_allocations, build_ref = cross_account.allocation_findings, gate_module.other_ref

    def counting(accounts: tuple[AccountRef, ...]) -> tuple[cross_account.Finding, ...]:
        counted.append(len(accounts))
        return count_allocations(accounts)

    def building(inputs: DecisionInputs, other: OtherAccount) -> AccountRef:
        built.append(other.id)
        return build_ref(inputs, other)

    inputs = _one_owner(count)
    gate_module._last_owners.clear()
    gate_module._refs_by_view.clear()
    with monkeypatch.context() as patch:
        patch.setattr(cross_account, "allocation_findings", counting)
        patch.setattr(gate_module, "other_ref", building)
        for item in inputs:
            fanout_gates(item)
    return len(counted), len(built)


def test_one_owners_accounts_are_counted_once_however_many_take_the_signal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _work(monkeypatch, 10) == (1, 10)
    assert _work(monkeypatch, 100) == (1, 100)
