"""The instrument gate: firm and plan lists, an account's narrowing, scalar and batch alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accounts.model import AssetClass, InstrumentFilter
from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import RejectCode
from aria.sizing.gates import instrument_refusal
from aria.sizing.inputs import DecisionInputs
from aria.sizing.instruments import load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from firms.catalog import load_catalog
from firms.model import InstrumentRules
from tests.builders import NOW, inputs_of, run

CATALOG = load_catalog()
INSTRUMENTS = load_instruments()
NOT_ALLOWED = [RejectCode.INSTRUMENT_NOT_ALLOWED]
MES = {"symbol": "MES", "side": "long", "entry": 5000, "stop": 4990}
EURUSD = {"symbol": "EURUSD", "side": "long", "entry": "1.1000", "stop": "1.0950"}


def _firm_scenario(
    firm: str, plan: str, phase: str, size: int, request: dict[str, Any], **account: Any
) -> dict[str, Any]:
    return {
        "firm": firm,
        "plan": plan,
        "account": {"balance": size, "as_of": NOW, "phase": phase, **account},
        "instrument": request["symbol"],
        "request": request,
    }


FUTURES_FIRMS = (
    "topstep",
    "apex",
    "takeprofittrader",
    "myfundedfutures",
    "tradeify",
    "lucid",
    "alpha-futures",
    "fundednext-futures",
    "bulenox",
)
FTMO_MES = _firm_scenario("ftmo", "2-step", "challenge", 100_000, MES)
TOPSTEP_EURUSD = _firm_scenario("topstep", "trading-combine", "combine", 50_000, EURUSD)
TOPSTEP_MES = _firm_scenario("topstep", "trading-combine", "combine", 50_000, MES)
FTMO_EURUSD = _firm_scenario("ftmo", "2-step", "challenge", 100_000, EURUSD)


@pytest.mark.parametrize(
    ("firm", "plan"),
    [(f.id, p.id) for f, p in CATALOG.plans() if f.id not in FUTURES_FIRMS],
)
def test_cfd_firms_refuse_cme_futures(firm: str, plan: str) -> None:
    rules = CATALOG.rule_set(
        firm, plan, CATALOG.plan(firm, plan).phases[0].id, CATALOG.plan(firm, plan).sizes[0]
    )
    assert rules.instruments is not None
    assert not rules.instruments.allows("MES", "future", AssetClass.INDEX)
    assert rules.instruments.allows("EURUSD", "cfd", AssetClass.FX)


@pytest.mark.parametrize(
    ("firm", "plan"), [(f.id, p.id) for f, p in CATALOG.plans() if f.id in FUTURES_FIRMS]
)
def test_futures_firms_refuse_fx_and_cfds(firm: str, plan: str) -> None:
    rules = CATALOG.rule_set(
        firm, plan, CATALOG.plan(firm, plan).phases[0].id, CATALOG.plan(firm, plan).sizes[0]
    )
    assert rules.instruments is not None
    assert not rules.instruments.allows("EURUSD", "cfd", AssetClass.FX)
    assert not rules.instruments.allows("US500", "cfd", AssetClass.INDEX)
    assert rules.instruments.allows("MES", "future", AssetClass.INDEX)


def test_every_firm_declares_what_it_allows_with_its_source() -> None:
    for firm in CATALOG.firms.values():
        assert firm.instruments is not None, firm.id
        assert firm.instruments.source
        assert firm.instruments.read_on.isoformat() == "2026-11-30"


def test_mes_on_ftmo_is_not_allowed_and_sized_no_further() -> None:
    decision = run(FTMO_MES)
    assert decision.reject_codes == NOT_ALLOWED
    assert decision.lots == 0
    assert decision.limits == []
    inputs = inputs_of(FTMO_MES)
    # The only reason is the gate's own: the firm's list refuses it, nothing else was sized.
    assert decision.reasons == [instrument_refusal(inputs.rules, inputs.account, inputs.instrument)]
    assert inputs.rules.instruments is not None
    assert not inputs.rules.instruments.allows("MES", "future", AssetClass.INDEX)


def test_eurusd_on_topstep_is_not_allowed_but_mes_is() -> None:
    assert run(TOPSTEP_EURUSD).reject_codes == NOT_ALLOWED
    assert run(TOPSTEP_MES).approved
    assert run(FTMO_EURUSD).approved


def test_an_account_narrows_its_firm_by_symbol_or_asset_class() -> None:
    gold_only = {
        **FTMO_EURUSD,
        "account": {**FTMO_EURUSD["account"], "instruments": {"symbols": ["XAUUSD"]}},
    }
    decision = run(gold_only)
    assert decision.reject_codes == NOT_ALLOWED
    # The firm allows EURUSD: the refusal is the account's own narrowing.
    assert run(FTMO_EURUSD).approved
    narrowed = inputs_of(gold_only).account.instruments
    assert narrowed is not None
    assert not narrowed.allows("EURUSD", AssetClass.FX)
    fx_class = {
        **FTMO_EURUSD,
        "account": {**FTMO_EURUSD["account"], "instruments": {"asset_classes": ["fx"]}},
    }
    assert run(fx_class).approved


def test_narrowing_cannot_widen_what_the_firm_allows() -> None:
    futures = {**FTMO_MES, "account": {**FTMO_MES["account"], "instruments": {"symbols": ["MES"]}}}
    assert run(futures).reject_codes == NOT_ALLOWED


def test_an_empty_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one symbol or asset class"):
        InstrumentFilter()


def test_a_filter_has_one_form_whatever_order_it_was_given_in() -> None:
    one = InstrumentFilter(symbols=("xauusd", "EURUSD", "EURUSD"), asset_classes=("index", "fx"))
    two = InstrumentFilter(symbols=("EURUSD", "XAUUSD"), asset_classes=("fx", "index"))
    assert one == two
    assert one.model_dump_json() == two.model_dump_json()


def test_rules_list_symbols_kinds_classes_and_exclusions() -> None:
    base = {"source": "test", "read_on": "2026-11-30", "confidence": "official"}
    only = InstrumentRules(symbols=["ES"], **base)
    assert only.allows("ES", "future", AssetClass.INDEX)
    assert not only.allows("NQ", "future", AssetClass.INDEX)
    futures = InstrumentRules(kinds=["future"], excluded=["MCL"], symbols=["XAUUSD"], **base)
    assert futures.allows("CL", "future", AssetClass.ENERGY)
    assert not futures.allows("MCL", "future", AssetClass.ENERGY)
    assert futures.allows("XAUUSD", "cfd", AssetClass.METAL)
    assert not futures.allows("EURUSD", "cfd", AssetClass.FX)
    with pytest.raises(ValueError, match="at least one of"):
        InstrumentRules(**base)


def test_a_plan_replaces_its_firms_list() -> None:
    inline = {
        "firm": None,
        "plan": None,
        "rules": {"instruments": {"kinds": ["future"], "asset_classes": ["index"]}},
        "account": {"balance": 50_000, "as_of": NOW},
        "instrument": "CL",
        "request": {"symbol": "CL", "side": "long", "entry": 70, "stop": 69},
    }
    inline.pop("firm")
    inline.pop("plan")
    decision = run(inline)
    assert decision.reject_codes == NOT_ALLOWED
    allowed = inputs_of(inline).rules.instruments
    assert allowed is not None
    assert not allowed.allows("CL", "future", AssetClass.ENERGY)
    assert allowed.allows("ES", "future", AssetClass.INDEX)


def test_reduce_only_is_never_blocked_by_the_list() -> None:
    closing = {
        **TOPSTEP_EURUSD,
        "account": {
            **TOPSTEP_EURUSD["account"],
            "positions": [
                {"symbol": "EURUSD", "side": "short", "lots": 1, "entry": "1.1", "stop": "1.11"}
            ],
        },
        "request": {**EURUSD, "reduce_only": True},
    }
    decision = run(closing)
    assert decision.approved
    assert decision.lots == 1


def test_the_batch_engine_answers_as_the_pipeline_does() -> None:
    # One signal (MES) over a book of a CFD account and a futures account.
    members = [inputs_of(FTMO_MES), inputs_of(TOPSTEP_MES)]
    first = members[0]
    members = [
        m.model_copy(
            update={
                "request": first.request,
                "market": first.market,
                "instrument": first.instrument,
            }
        )
        for m in members
    ]
    batch = decide_batch(prepare(members), first.request, first.instrument, first.market)
    for index, inputs in enumerate(members):
        status, lots, codes, binding = batch.summary(index)
        scalar = decide(inputs)
        assert (status, lots, list(codes), binding) == (
            scalar.status,
            scalar.lots,
            scalar.reject_codes,
            scalar.binding,
        )
    assert batch.codes[0] == (RejectCode.INSTRUMENT_NOT_ALLOWED,)
    assert batch.approved[1]


def test_a_replay_from_stored_inputs_reproduces_the_refusal() -> None:
    inputs = inputs_of(
        {
            **FTMO_EURUSD,
            "account": {**FTMO_EURUSD["account"], "instruments": {"symbols": ["XAUUSD"]}},
        }
    )
    again = DecisionInputs.model_validate_json(inputs.model_dump_json())
    assert again.input_hash() == inputs.input_hash()
    assert decide(again) == decide(inputs)
    assert decide(again).reject_codes == NOT_ALLOWED


def test_instrument_refusal_names_the_restriction() -> None:
    rules = CATALOG.rule_set("apex", "pa", "pa", 50_000, "legacy")
    inputs = inputs_of(TOPSTEP_EURUSD)
    reason = instrument_refusal(rules, inputs.account, INSTRUMENTS.get("XAUUSD"))
    assert reason is not None
    assert reason.startswith("Apex Trader Funding Apex Performance Account")
    assert "XAUUSD (cfd, metal)" in reason
    assert instrument_refusal(rules, inputs.account, INSTRUMENTS.get("ES")) is None


def test_scenario_options_and_allow_lists_load() -> None:
    document = _firm_scenario(
        "e8", "one", "evaluation", 100_000, EURUSD, options={"daily_loss_pct": 5}
    )
    inputs = load_scenario(document, CATALOG, INSTRUMENTS)
    assert inputs.rules.daily_loss.amount is not None
    assert inputs.rules.daily_loss.amount.pct == Decimal(5)
    assert inputs.account.options == {"daily_loss_pct": Decimal(5)}
