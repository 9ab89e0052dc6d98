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


# -- correlated markets (Apex) and a product's mini and micro (Tradeify) -----------------------


def _futures(firm: str, symbol: str, side: str, held: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``firm`` account asked for ``side`` ``symbol`` (MNQ at 19,350 with a 40-point stop,
    MES or ES at 5,402 with a 12-point stop), holding ``held``."""
    document = _document(firm)
    price, distance = {"MNQ": (19350, 40), "MES": (5402, 12), "ES": (5402, 12)}[symbol]
    entry, stop = str(price), str(price - distance if side == "long" else price + distance)
    document["instrument"] = symbol
    document["request"] = {"symbol": symbol, "side": side, "entry": entry, "stop": stop}
    document["account"]["positions"] = held
    return document


def _held(symbol: str, side: str) -> dict[str, Any]:
    """One contract of ``symbol``, its stop and take-profit 1 point away (a bounded swing, so a
    trailing floor cannot take back more than that)."""
    entry = {"ES": 5400, "NQ": 19300, "MES": 5400, "MNQ": 19300, "MCL": 70}[symbol]
    step = 1 if side == "long" else -1
    return {
        "symbol": symbol,
        "side": side,
        "lots": "1",
        "entry": str(entry),
        "stop": str(entry - step),
        "take_profit": str(entry + step),
    }


def _apex_sibling(held: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "apex-other",
        "firm": "apex",
        "phase_kind": "evaluation",
        "size": 50_000,
        "positions": [{"symbol": p["symbol"], "side": p["side"]} for p in held],
    }


def test_apex_counts_a_short_mnq_against_a_long_es_on_another_account_as_a_hedge() -> None:
    # ES and MNQ are different products but one correlated group at Apex (US index futures):
    # short MNQ here against long ES on the owner's other Apex account is a hedge.
    document = _futures("apex", "MNQ", "short", [])
    document["account"]["others"] = [_apex_sibling([_held("ES", "long")])]
    (decision,) = _both([inputs_of(document)])
    assert decision.reject_codes == [RejectCode.CROSS_ACCOUNT_HEDGE]
    # The same side is no hedge, nor is an unrelated market (crude oil's micro).
    for held in (_held("ES", "short"), _held("MCL", "long")):
        document["account"]["others"] = [_apex_sibling([held])]
        (decision,) = _both([inputs_of(document)])
        assert RejectCode.CROSS_ACCOUNT_HEDGE not in decision.reject_codes


def test_apex_forbids_a_correlated_hedge_inside_one_account_too() -> None:
    # Long NQ held, short MNQ asked: NQ and MNQ are one product; long ES held, short MNQ
    # asked: correlated markets. Both are opposite positions Apex forbids in one account.
    for held in ("NQ", "ES"):
        document = _futures("apex", "MNQ", "short", [_held(held, "long")])
        (decision,) = _both([inputs_of(document)])
        assert decision.reject_codes == [RejectCode.HEDGING_WITHIN_ACCOUNT], held


def test_a_firm_without_correlated_groups_sees_no_hedge_between_es_and_mnq() -> None:
    # Tradeify lists ES/MES and NQ/MNQ as products, not ES and NQ as correlated.
    document = _futures("tradeify", "MNQ", "short", [_held("ES", "long")])
    (decision,) = _both([inputs_of(document)])
    assert decision.approved


def test_tradeify_refuses_a_micro_while_its_mini_is_held_in_both_engines() -> None:
    # MES is the micro of ES (its instrument says so): long MES asked while long ES is held
    # is a mini and a micro of one product at once, which Tradeify forbids in one account.
    decision = _both([inputs_of(_futures("tradeify", "MES", "long", [_held("ES", "long")]))])[0]
    assert decision.status == "rejected"
    assert decision.lots == 0
    assert decision.reject_codes == [RejectCode.MINI_MICRO_MIX]
    assert decision.reasons[0] == (
        "tradeify forbids holding a product's mini and micro together in one account;"
        " ES (ES) is held and MES is its micro"
    )


def test_a_fan_out_refuses_only_the_tradeify_account_mixing_one_product() -> None:
    # Four accounts on one long MES signal: holding ES (the mini of MES) is refused; MES
    # itself, MNQ (another product's micro) and nothing are allowed. Same answer in both.
    held = [[_held("ES", "long")], [_held("MES", "long")], [_held("MNQ", "long")], []]
    loaded = []
    for index, positions in enumerate(held):
        document = _futures("tradeify", "MES", "long", positions)
        document["account"]["id"] = f"tradeify-{index}"
        loaded.append(inputs_of(document))
    decisions = _both(family(loaded, None))
    assert decisions[0].reject_codes == [RejectCode.MINI_MICRO_MIX]
    assert [RejectCode.MINI_MICRO_MIX in d.reject_codes for d in decisions] == [
        True,
        False,
        False,
        False,
    ]


def test_the_full_size_contract_is_refused_while_its_micro_is_held() -> None:
    # The other way round: MES held, ES asked. Apex allows the mix (only Tradeify forbids it).
    document = _futures("tradeify", "ES", "long", [_held("MES", "long")])
    decision = _both([inputs_of(document)])[0]
    assert decision.reject_codes == [RejectCode.MINI_MICRO_MIX]
    assert decision.reasons[0].endswith("MES (ES) is held and ES is its full-size contract")
    document = _futures("apex", "ES", "long", [_held("MES", "long")])
    assert RejectCode.MINI_MICRO_MIX not in _both([inputs_of(document)])[0].reject_codes


def _inline_mix(held: str, *, forbidden: bool = True) -> dict[str, Any]:
    """Inline rules with no contract cap (so the fan-out engine sizes the account itself),
    forbidding (or not) a product's mini and micro together; long MES asked, ``held`` held."""
    document = _futures("tradeify", "MES", "long", [_held(held, "long")])
    del document["firm"], document["plan"]
    document["profile"] = "aria"
    document["account"]["phase"] = "evaluation"
    document["rules"] = {
        "name": "No mini with micro",
        "cross_account": {
            "hedging_across_accounts": "allowed",
            "mini_and_micro_together": "forbidden" if forbidden else "allowed",
        },
    }
    return document


def test_the_fan_out_engine_itself_refuses_the_mix_as_the_pipeline_does() -> None:
    # Three accounts on one long MES signal, decided by the fan-out engine (not handed to the
    # pipeline): ES held is refused; MNQ held is another product; ES held where the rules
    # allow the mix is sized.
    loaded = []
    for index, document in enumerate(
        [_inline_mix("ES"), _inline_mix("MNQ"), _inline_mix("ES", forbidden=False)]
    ):
        document["account"]["id"] = f"inline-{index}"
        loaded.append(inputs_of(document))
    inputs = family(loaded, None)
    batch = decide_batch(prepare(inputs), inputs[0].request, inputs[0].instrument, inputs[0].market)
    assert not batch.by_scalar.any()
    decisions = _both(inputs)
    assert [d.reject_codes for d in decisions] == [[RejectCode.MINI_MICRO_MIX], [], []]
    assert [d.approved for d in decisions] == [False, True, True]


def test_the_fan_out_engine_itself_finds_correlated_hedges_as_the_pipeline_does() -> None:
    # Inline rules listing ES and NQ as correlated, decided by the fan-out engine: short MNQ
    # against long ES held in the account, or on a sibling account, is a hedge; against long
    # CL it is not.
    def account(index: int, held: list[dict[str, Any]], sibling: list[str]) -> DecisionInputs:
        document = _futures("apex", "MNQ", "short", held)
        del document["firm"], document["plan"]
        document["profile"] = "aria"
        document["account"].update(id=f"inline-{index}", phase="evaluation")
        document["account"]["others"] = [
            {
                "id": f"sibling-{index}",
                "firm": "scenario",
                "phase_kind": "evaluation",
                "size": 50_000,
                "positions": [{"symbol": s, "side": "long"} for s in sibling],
            }
        ]
        document["rules"] = {
            "name": "Correlated indices",
            "cross_account": {
                "hedging_across_accounts": "forbidden",
                "hedging_within_account": "forbidden",
                "equivalent_symbols": [["NQ", "MNQ"]],
                "correlated_groups": [["ES", "NQ", "MNQ"]],
            },
        }
        return inputs_of(document)

    # Each keeps its own sibling (not one another's positions, as ``family`` would give them).
    inputs = [account(0, [_held("ES", "long")], []), account(1, [], ["ES"]), account(2, [], ["CL"])]
    batch = decide_batch(prepare(inputs), inputs[0].request, inputs[0].instrument, inputs[0].market)
    assert not batch.by_scalar.any()
    decisions = _both(inputs)
    assert [d.reject_codes for d in decisions] == [
        [RejectCode.HEDGING_WITHIN_ACCOUNT],
        [RejectCode.CROSS_ACCOUNT_HEDGE],
        [],
    ]


def test_an_account_without_a_household_keeps_the_input_hash_it_had_before_households() -> None:
    # Decisions recorded before households existed must hash alike on replay: an unset
    # household stays out of the inputs' JSON, a set one is in it and changes the hash.
    inputs = inputs_of(_document("tradeify"))
    assert inputs.account.household is None
    assert "household" not in json.loads(inputs.model_dump_json())["account"]
    assert "household" not in inputs.model_dump()["account"]
    housed = inputs.model_copy(
        update={"account": inputs.account.model_copy(update={"household": "home"})}
    )
    assert housed.model_dump(mode="json")["account"]["household"] == "home"
    assert DecisionInputs.model_validate_json(housed.model_dump_json()) == housed
    assert housed.input_hash() != inputs.input_hash()
