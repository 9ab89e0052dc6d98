"""The rule tables: every rule has a fan-out form or is scalar-only, and both engines read them."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from aria.sizing import adjusters as adjuster_table
from aria.sizing import gates as gate_table
from aria.sizing import limits as limit_table
from aria.sizing.adjusters import Adjuster, AdjusterContext
from aria.sizing.batch import decide_batch
from aria.sizing.columns import FanOut, prepare
from aria.sizing.decision import Decision, Factor, RejectCode
from aria.sizing.gates import GateRule
from aria.sizing.inputs import DecisionInputs, MarketSnapshot, TradeRequest
from aria.sizing.instruments import Instrument
from aria.sizing.limits import Bound, Limit, LimitContext
from aria.sizing.limits.base import Column, Floats, Indices, Mask, Signal, Table
from aria.sizing.pipeline import decide
from aria.sizing.rules import ADJUSTERS, GATES, LIMITS
from tests.builders import inputs_of, scenario
from tests.strategies import fanouts

D = Decimal
NAMES = [name for limit in LIMITS for name in limit.names]
# Codes a stage of the pipeline gives rather than a rule of the tables.
STAGE_CODES = {
    RejectCode.STALE_DATA,  # the ATR sizing needs is unavailable
    RejectCode.MISSING_CONVERSION_RATE,
    RejectCode.STOP_TOO_CLOSE,
    RejectCode.NO_EDGE,
    RejectCode.BELOW_MIN_LOT,
    RejectCode.BELOW_MIN_NOTIONAL,
    RejectCode.NOTHING_TO_REDUCE,
}
DECLARED = (
    {code for limit in LIMITS for code in limit.codes}
    | {code for gate in GATES for code in gate.codes}
    | STAGE_CODES
)
PROBE_LOTS = D("1.234567891")  # off the lot grid, so float64 decides it without doubt


def _overrides(rule: object, method: str, base: type) -> bool:
    return getattr(type(rule), method) is not getattr(base, method)


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: type(limit).__name__)
def test_every_limit_is_vectorised_or_scalar_only(limit: Limit) -> None:
    assert limit.names, "a limit names the bounds it reports"
    assert _overrides(limit, "bounds", Limit)
    if limit.vectorised:
        assert _overrides(limit, "columns", Limit)
    else:  # the fan-out must know which accounts to hand to the scalar pipeline
        assert _overrides(limit, "fallback", Limit)


@pytest.mark.parametrize("adjuster", ADJUSTERS, ids=lambda a: a.name)
def test_every_adjuster_is_prepared_or_vectorised(adjuster: Adjuster) -> None:
    assert _overrides(adjuster, "factor", Adjuster)
    method = "of_account" if adjuster.prepared else "over_signal"
    assert _overrides(adjuster, method, Adjuster)


@pytest.mark.parametrize("gate", GATES, ids=lambda gate: gate.name)
def test_every_gate_has_codes_and_a_fan_out_form(gate: GateRule) -> None:
    # A gate without a per-signal form is decided once, by its own check, when a fan-out
    # is prepared; one with a form rejects with its first code.
    assert gate.codes
    assert gate.over_signal is not None or not gate.final


def test_every_reject_code_is_declared_by_a_rule_or_a_stage() -> None:
    # The account-count cap is found by the maintenance audit over an owner's accounts
    # (firms.cross_account.account_count_findings), not by sizing a trade.
    assert set(RejectCode) - DECLARED == {RejectCode.ACCOUNT_CAP}


def test_rule_names_are_unique_per_table() -> None:
    assert len({g.name for g in GATES}) == len(GATES)
    assert len({a.name for a in ADJUSTERS}) == len(ADJUSTERS)


def _in_table_order(names: list[str]) -> bool:
    """True when ``names`` is a subsequence of the limits' table of names."""
    position = 0
    for name in names:
        try:
            position = NAMES.index(name, position) + 1
        except ValueError:
            return False
    return True


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(fanouts())
def test_decisions_list_limits_and_factors_in_table_order(inputs: list[DecisionInputs]) -> None:
    first = inputs[0]
    batch = decide_batch(prepare(inputs), first.request, first.instrument, first.market)
    assert set(batch.names) <= set(NAMES)
    order = [a.name for a in ADJUSTERS]
    for item in inputs:
        decision = decide(item)
        assert _in_table_order([check.name for check in decision.limits])
        assert list(decision.factors) == [n for n in order if n in decision.factors]
        assert decision.binding is None or decision.binding in NAMES
        assert set(decision.reject_codes) <= DECLARED
        # Codes are what tests compare; a reason in words still comes with every outcome.
        assert all(check.reason for check in decision.limits)
        assert decision.reasons or (decision.approved and not decision.binding)


# --------------------------------------------------------------------------- a rule added once


class _Probe(Limit):
    """A limit of one lot, added to the table in a test."""

    names = ("probe",)
    codes = (RejectCode.MAX_TOTAL_LOTS,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        return [Bound("probe", PROBE_LOTS, "a probe allows a few lots", self.codes[0])]

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        return [Column(np.full(len(members), float(PROBE_LOTS)), self.names, self.codes)]

    def fallback(self, table: Table, instrument: Instrument) -> Mask | None:
        return np.ones(len(table.floats["headroom"]), dtype=np.bool_)


class _ScalarProbe(_Probe):
    vectorised = False


def _one() -> list[DecisionInputs]:
    # A stop 3.13 away: the sizes fall off the lot grid, so float64 decides them without doubt.
    request = {"symbol": "FINE", "side": "long", "entry": 100, "stop": "96.87"}
    return [inputs_of(scenario(request=request))]


def _both(inputs: list[DecisionInputs]) -> tuple[tuple[object, ...], bool, Decision]:
    first = inputs[0]
    batch = decide_batch(prepare(inputs), first.request, first.instrument, first.market)
    decision = decide(first)
    scalar = (decision.status, decision.lots, tuple(decision.reject_codes), decision.binding)
    assert batch.summary(0) == scalar
    return scalar, bool(batch.by_scalar[0]), decision


@pytest.mark.parametrize("vectorised", [True, False])
def test_a_limit_added_to_the_table_binds_in_both_engines(
    monkeypatch: pytest.MonkeyPatch, vectorised: bool
) -> None:
    probe = _Probe() if vectorised else _ScalarProbe()
    monkeypatch.setattr(limit_table, "LIMITS", (*LIMITS, probe))
    (status, lots, codes, binding), by_scalar, decision = _both(_one())
    assert (status, lots, codes, binding) == ("approved", D("1.23456789"), (), "probe")
    assert decision.limits[-1].name == "probe"
    assert by_scalar is not vectorised


def _signal_gate(
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> Mask:
    return np.ones(fan.size, dtype=np.bool_)


@pytest.mark.parametrize("per_signal", [True, False])
def test_a_gate_added_to_the_table_rejects_in_both_engines(
    monkeypatch: pytest.MonkeyPatch, per_signal: bool
) -> None:
    probe = GateRule(
        "probe",
        (RejectCode.HALTED,),
        lambda inputs: [(RejectCode.HALTED, "a probe stops every trade")],
        _signal_gate if per_signal else None,
    )
    monkeypatch.setattr(gate_table, "GATES", (*GATES, probe))
    (status, _, codes, _), by_scalar, _ = _both(_one())
    assert (status, codes, by_scalar) == ("rejected", (RejectCode.HALTED,), False)


class _Halve(Adjuster):
    name = "probe"

    def enabled(self, profile: object) -> bool:
        return True

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        return Factor(value=D("0.5"), reason="a probe halves the size")

    def of_account(self, inputs: DecisionInputs) -> Decimal:
        return D("0.5")

    def over_signal(
        self, fan: FanOut, members: Indices, signal: Signal, lots: Floats
    ) -> tuple[Floats, Mask]:
        return np.full(len(members), 0.5), np.zeros(len(members), dtype=np.bool_)


class _PreparedHalve(_Halve):
    prepared = True


@pytest.mark.parametrize("prepared", [True, False])
def test_an_adjuster_added_to_the_table_shrinks_in_both_engines(
    monkeypatch: pytest.MonkeyPatch, prepared: bool
) -> None:
    inputs = _one()
    (_, before, _, _), _, _ = _both(inputs)
    probe = _PreparedHalve() if prepared else _Halve()
    monkeypatch.setattr(adjuster_table, "ADJUSTERS", (*ADJUSTERS, probe))
    (status, after, _, _), by_scalar, decision = _both(inputs)
    assert status == "approved"
    assert not by_scalar
    assert list(decision.factors)[-1] == "probe"
    assert after < before
