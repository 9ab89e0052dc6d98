"""The batch engine decides exactly as the scalar pipeline, account by account."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from aria.sizing.batch import BatchDecisions, decide_batch
from aria.sizing.columns import prepare
from aria.sizing.inputs import DecisionInputs
from aria.sizing.pipeline import decide
from tests.builders import FINE, inputs_of, scenario
from tests.strategies import family, fanouts, fine_fanouts

D = Decimal


def _scalar(inputs: DecisionInputs) -> tuple[str, Decimal, tuple[str, ...], str | None]:
    decision = decide(inputs)
    return decision.status, decision.lots, tuple(decision.reject_codes), decision.binding


def _batch(inputs: list[DecisionInputs]) -> BatchDecisions:
    first = inputs[0]
    return decide_batch(prepare(inputs), first.request, first.instrument, first.market)


# The equivalence of the two engines is what keeps the fan-out honest: these run more examples
# than the profile's default (300 under the ``ci`` profile).
@settings(
    max_examples=settings().max_examples * 3 // 2, suppress_health_check=[HealthCheck.too_slow]
)
@given(fanouts())
def test_the_batch_decides_every_account_as_the_pipeline_does(inputs: list[DecisionInputs]) -> None:
    batch = _batch(inputs)
    assert len(batch) == len(inputs)
    for index, item in enumerate(inputs):
        assert batch.summary(index) == _scalar(item), f"account {index}"


@settings(max_examples=settings().max_examples, suppress_health_check=[HealthCheck.too_slow])
@given(fine_fanouts())
def test_on_a_fine_lot_grid_every_lot_matches(inputs: list[DecisionInputs]) -> None:
    batch = _batch(inputs)
    for index, item in enumerate(inputs):
        assert batch.summary(index) == _scalar(item), f"account {index}"


def _on_the_grid() -> list[DecisionInputs]:
    # A profile cap of exactly 0.37 lots binds: the allowed size sits on a lot-step boundary,
    # where float64 cannot promise the floor; the batch hands such an account to the pipeline.
    document = scenario(
        profile={"preset": "aria", "account": {"limits": {"max_lots": "0.37"}}},
        instrument="EURUSD",
        request={"symbol": "EURUSD", "side": "long", "entry": "1.1000", "stop": "1.0900"},
        account={"balance": 100_000, "as_of": "2026-06-01T12:00:00Z"},
    )
    return family([inputs_of(document)], None)


def test_a_size_on_a_lot_step_boundary_is_decided_in_decimal() -> None:
    inputs = _on_the_grid()
    batch = _batch(inputs)
    assert bool(batch.by_scalar[0])
    assert batch.summary(0) == _scalar(inputs[0])
    assert batch.lots(0) == D("0.37")


def test_heat_exactly_at_its_threshold_is_decided_in_decimal() -> None:
    # Reserved 900 plus a new 1 % risk of 100 on a 10,000 balance is a heat of exactly 10 %,
    # the aria preset's threshold: not above it, so no shrink — a float might say otherwise.
    document = scenario(
        market={"atr_percentile": 50},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={
            "balance": 10_000,
            "as_of": "2026-06-01T12:00:00Z",
            "reservations": [{"decision_id": "r1", "amount": "900"}],
        },
    )
    inputs = family([inputs_of(document)], None)
    batch = _batch(inputs)
    assert bool(batch.by_scalar[0])
    assert batch.summary(0) == _scalar(inputs[0])
    assert decide(inputs[0]).factors["heat"].value == 1


def _fine(limits: dict[str, str], entry: str, stop: str) -> list[DecisionInputs]:
    document = scenario(
        profile={"preset": "aria", "account": {"limits": limits}},
        market={"atr_percentile": 50},
        request={"symbol": "FINE", "side": "long", "entry": entry, "stop": stop},
        account={"balance": 10_000, "as_of": "2026-06-01T12:00:00Z"},
    )
    return family([inputs_of(document)], None)


def test_two_limits_equal_in_decimal_are_decided_in_decimal() -> None:
    # 0.7000000005 of notional at 0.1 a lot is exactly the profile's 7.000000005 lots; in
    # float64 the quotient may fall either side, and the first listed limit must bind.
    inputs = _fine({"max_lots": "7.000000005", "max_notional": "0.7000000005"}, "0.1", "0.09")
    batch = _batch(inputs)
    assert bool(batch.by_scalar[0])
    assert batch.summary(0) == _scalar(inputs[0])
    assert batch.binding_of(0) == "profile_max_lots"


def test_a_limit_equal_to_the_target_is_decided_in_decimal() -> None:
    # 1 % of 10,000 over a loss of 3 a lot is 33.333… lots; a cap of exactly that does not bind.
    inputs = _fine({"max_lots": str(Decimal(100) / Decimal(3))}, "100", "97")
    batch = _batch(inputs)
    assert bool(batch.by_scalar[0])
    assert batch.summary(0) == _scalar(inputs[0])
    assert batch.binding_of(0) is None


def test_accounts_sizing_by_kelly_are_decided_by_the_pipeline() -> None:
    document = scenario(profile="leveragebot", instrument=copy.deepcopy(FINE))
    inputs = family([inputs_of(document)], None)
    batch = _batch(inputs)
    assert bool(batch.by_scalar[0])
    assert batch.summary(0) == _scalar(inputs[0])


def test_a_book_is_one_moment_one_strategy_and_one_set_of_rates() -> None:
    base = scenario(instrument=copy.deepcopy(FINE))
    other = copy.deepcopy(base)
    other["request"]["strategy"] = "breakout"
    with pytest.raises(ValueError, match="strategy"):
        prepare([inputs_of(base), inputs_of(other)])
    later = copy.deepcopy(base)
    later["now"] = "2026-06-01T13:00:00Z"
    with pytest.raises(ValueError, match="moment"):
        prepare([inputs_of(base), inputs_of(later)])
    book = prepare([inputs_of(base)])
    first = inputs_of(other)
    with pytest.raises(ValueError, match="strategy"):
        decide_batch(book, first.request, first.instrument, first.market)


def test_an_empty_book_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        prepare([])
