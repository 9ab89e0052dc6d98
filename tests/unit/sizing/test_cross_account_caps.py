"""The identical-trading and copy-capital caps over one signal fanned out to several accounts
of one owner, decided alike by the pipeline and the batch engine."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import Decision, RejectCode
from aria.sizing.inputs import DecisionInputs
from aria.sizing.pipeline import decide
from tests.builders import inputs_of
from tests.strategies import family

D = Decimal
EXAMPLES = Path(__file__).parents[3] / "examples"


def _document(firm: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / f"firm-{firm}.json").read_text())
    document["account"]["owner"] = "alice"
    return document


def _fan_out(firm: str, sizes: list[int]) -> list[DecisionInputs]:
    """One signal to an account of ``firm`` per size, in that order, as the service sends it."""
    loaded = []
    for index, size in enumerate(sizes):
        document = copy.deepcopy(_document(firm))
        account = document["account"]
        account.update(id=f"{firm}-{index}", size=size, balance=size, equity=size)
        account["day_start"] = {"balance": size}
        loaded.append(inputs_of(document))
    return family(loaded, None)


def _both(inputs: list[DecisionInputs]) -> list[Decision]:
    """Each account's decision, once the batch engine is seen to decide it alike."""
    first = inputs[0]
    batch = decide_batch(prepare(inputs), first.request, first.instrument, first.market)
    decisions = [decide(item) for item in inputs]
    for index, decision in enumerate(decisions):
        scalar = (decision.status, decision.lots, tuple(decision.reject_codes), decision.binding)
        assert batch.summary(index) == scalar, f"account {index}"
    return decisions


def test_a_scenario_with_the5ers_siblings_past_500k_is_refused_the_identical_trade() -> None:
    document = _document("the5ers")
    siblings = [
        {"id": f"s{i}", "firm": "the5ers", "phase_kind": "funded", "size": 100_000}
        for i in range(5)
    ]
    # An account of the owner that is not on this signal, and one at another firm, do not count.
    others = [
        *({**s, "same_signal": True} for s in siblings[:4]),
        {**siblings[4], "same_signal": False},
        {
            "id": "ftmo-1",
            "firm": "ftmo",
            "phase_kind": "funded",
            "size": 200_000,
            "same_signal": True,
        },
    ]
    document["account"]["others"] = others
    assert _both([inputs_of(document)])[0].approved  # 4 × 100,000 + 100,000 = the cap
    others[4]["same_signal"] = True
    (decision,) = _both([inputs_of(document)])
    assert decision.status == "rejected"
    assert decision.reject_codes == [RejectCode.IDENTICAL_TRADING_CAP]
    assert decision.reasons[0] == (
        "alice's accounts at the5ers taking this same trade would count 600,000.00 USD with"
        " 5ers-hs-100k (after s0, s1, s2, s3, s4), above the5ers's identical-trading cap of"
        " 500,000 USD"
    )


def test_six_the5ers_accounts_on_one_signal_refuse_the_sixth_in_both_engines() -> None:
    decisions = _both(_fan_out("the5ers", [100_000] * 6))
    assert [d.approved for d in decisions] == [True] * 5 + [False]
    assert decisions[5].reject_codes == [RejectCode.IDENTICAL_TRADING_CAP]
    assert decisions[5].lots == 0
    assert "600,000.00 USD with the5ers-5" in decisions[5].reasons[0]
    assert "identical-trading cap of 500,000 USD" in decisions[5].reasons[0]


def test_signal_order_decides_which_the5ers_account_is_refused() -> None:
    # Signal order, not size, decides: the 400,000 account first leaves room for one 100,000.
    decisions = _both(_fan_out("the5ers", [400_000, 100_000, 100_000]))
    assert [d.reject_codes for d in decisions] == [[], [], [RejectCode.IDENTICAL_TRADING_CAP]]
    decisions = _both(_fan_out("the5ers", [100_000, 100_000, 400_000]))
    assert [d.reject_codes for d in decisions] == [[], [], [RejectCode.IDENTICAL_TRADING_CAP]]
    assert "600,000.00 USD" in decisions[2].reasons[0]


def test_fundednext_challenges_copied_past_300k_are_copy_forbidden_in_both_engines() -> None:
    decisions = _both(_fan_out("fundednext", [100_000, 100_000, 100_000, 50_000]))
    assert [d.approved for d in decisions] == [True, True, True, False]
    assert decisions[3].reject_codes == [RejectCode.COPY_FORBIDDEN]
    assert decisions[3].reasons[0] == (
        "copying fundednext-0 to fundednext-3 would have copied trades cover 350,000.00 USD of"
        " alice's accounts at fundednext (with fundednext-0, fundednext-1, fundednext-2), above"
        " fundednext's copy-capital cap of 300,000 USD"
    )
