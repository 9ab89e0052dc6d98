"""The batch engine decides exactly as the scalar pipeline, account by account."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from aria.sizing.batch import BatchDecisions, decide_batch
from aria.sizing.columns import prepare
from aria.sizing.inputs import DecisionInputs
from aria.sizing.pipeline import decide
from tests.builders import FINE, inputs_of, scenario
from tests.strategies import family, fanouts, fine_fanouts

D = Decimal
EXAMPLES = Path(__file__).parents[3] / "examples"


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


def test_an_empty_book_correlates_alike_in_either_mode() -> None:
    # No account holds anything: the correlation column is empty in both modes, and the
    # absolute mode must not invent a position to correlate with.
    for mode in ("directional", "absolute"):
        document = scenario(
            profile={"preset": "aria", "account": {"adjusters": {"correlation": {"mode": mode}}}},
            instrument=copy.deepcopy(FINE),
            market={"atr_percentile": 50},
            request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
            account={"balance": 10_000, "as_of": "2026-06-01T12:00:00Z"},
        )
        inputs = family([inputs_of(document)], None)
        assert _batch(inputs).summary(0) == _scalar(inputs[0])


# Corners the random fan-outs reach rarely, each decided by the batch itself (not handed to
# the pipeline) and checked against the pipeline by value. A lot step of 0.01 keeps the sizes
# off the grid's boundaries, where the batch would defer to the pipeline.
COARSE = {**FINE, "lot_step": "0.01", "min_lot": "0.01"}


def _decided_by_the_batch(
    document: dict[str, object], **market: object
) -> tuple[BatchDecisions, list[DecisionInputs]]:
    inputs = family([inputs_of(document)], None)
    if market:
        inputs = [
            item.model_copy(update={"market": item.market.model_copy(update=market)})
            for item in inputs
        ]
    batch = _batch(inputs)
    assert batch.summary(0) == _scalar(inputs[0])
    return batch, inputs


def test_the_instrument_maximum_binds_as_the_first_limit() -> None:
    document = scenario(
        instrument={**COARSE, "max_lot": "2.505"},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
    )
    batch, _ = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("approved", D("2.50"), (), "instrument_max_lot")


def test_a_known_atr_sizes_even_when_the_market_says_its_bars_are_old() -> None:
    # The ATR was given: the market's 'unavailable' note only matters when there is none.
    document = scenario(
        instrument=COARSE,
        market={"atr": "2.1"},
        request={"symbol": "FINE", "side": "long", "entry": 100},
    )
    batch, _ = _decided_by_the_batch(document, unavailable="no bars since Friday")
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("approved", D("23.80"), (), None)


@pytest.mark.parametrize(
    ("minimum", "expected"),
    [
        ("500", ("approved", D("33.33"), (), None)),
        ("3500", ("rejected", D(0), ("below_min_notional",), None)),
    ],
)
def test_the_profile_minimum_notional_is_decided_on_the_rounded_size(
    minimum: str, expected: tuple[str, Decimal, tuple[str, ...], None]
) -> None:
    # 1 % of 10,000 over a loss of 3 a lot: 33.33 lots, 3,333 of notional.
    document = scenario(
        profile={"preset": "aria", "account": {"limits": {"min_notional": minimum}}},
        instrument=COARSE,
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
    )
    batch, _ = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == expected


def test_heat_is_measured_on_the_size_the_other_factors_leave_in_the_batch_too() -> None:
    # 4 % below initial halves the size: 96 of risk over 2.70 a lot is 35.56 lots, 17.78 after
    # the drawdown. Reserved 940 plus 48 is a heat of 9.88 %, within 10 %; measured before the
    # drawdown (940 + 96, 10.36 %) it would shrink the size by 0.7 again.
    document = scenario(
        profile={"preset": "aria", "account": {"adjusters": {"drawdown": {"measure": "initial"}}}},
        instrument=COARSE,
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": "97.3"},
        account={
            "balance": 10_000,
            "equity": 9_600,
            "as_of": "2026-06-01T12:00:00Z",
            "reservations": [{"decision_id": "r1", "amount": "940"}],
        },
    )
    batch, inputs = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("approved", D("17.77"), (), None)
    assert decide(inputs[0]).factors["heat"].value == 1


def test_a_reduce_only_fan_out_without_a_stop_is_decided_by_the_pipeline() -> None:
    document = scenario(
        instrument=COARSE,
        account={
            "balance": 10_000,
            "as_of": "2026-06-01T12:00:00Z",
            "positions": [
                {"symbol": "FINE", "side": "long", "lots": "0.5", "entry": 100, "stop": 95}
            ],
        },
        request={"symbol": "FINE", "side": "short", "entry": 100, "reduce_only": True},
    )
    batch, _ = _decided_by_the_batch(document)
    assert batch.by_scalar[0]
    assert batch.summary(0) == ("approved", D("0.5"), (), "reduce_only")


def test_a_factor_of_zero_leaves_nothing_to_round_up() -> None:
    # A losing streak that zeroes the size: nothing is approved, on a lot step (0.03) whose
    # multiples never land on a whole lot.
    document = scenario(
        profile={
            "preset": "aria",
            "account": {
                "adjusters": {
                    "performance": {
                        "enabled": True,
                        "losing_streak": {"at_least": 1, "factor": 0},
                    }
                }
            },
        },
        instrument={**COARSE, "lot_step": "0.03", "min_lot": "0.03"},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={
            "balance": 10_000,
            "as_of": "2026-06-01T12:00:00Z",
            "trades": [
                {
                    "symbol": "FINE",
                    "side": "long",
                    "lots": 1,
                    "entry": 100,
                    "exit": 99,
                    "pnl": -100,
                    "opened_at": "2026-05-31T10:00:00Z",
                    "closed_at": "2026-05-31T11:00:00Z",
                }
            ],
        },
    )
    batch, _ = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("rejected", D(0), ("below_min_lot",), None)


def test_a_size_of_exactly_one_lot_step_that_float64_misses_is_decided_in_decimal() -> None:
    # 8.75 of notional is 0.0875 lots; a volatility factor of 0.8 makes exactly 0.07, one step
    # of this lot grid, but in float64 0.0875 × 0.8 ÷ 0.07 is 0.9999999999999998 steps.
    document = scenario(
        profile={
            "preset": "aria",
            "account": {
                "method": "fixed_usd",
                "fixed_amount": "8.75",
                "adjusters": {"volatility": {"ladder": [{"at_least": "0", "factor": "0.8"}]}},
            },
        },
        instrument={**COARSE, "lot_step": "0.07", "min_lot": "0.07"},
        market={"atr_percentile": 50},
    )
    batch, _ = _decided_by_the_batch(document)
    assert batch.by_scalar[0]
    assert batch.summary(0) == ("approved", D("0.07"), (), None)


def test_the_minimum_lot_counts_in_lot_steps() -> None:
    # 0.1 of risk over 3 a lot is 0.033 lots: above one step of 0.01, below the 0.05 minimum.
    document = scenario(
        instrument={**COARSE, "min_lot": "0.05"},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={"balance": 10, "as_of": "2026-06-01T12:00:00Z"},
    )
    batch, _ = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("rejected", D(0), ("below_min_lot",), None)


def test_limits_that_leave_no_room_at_all_are_decided_by_the_batch_itself() -> None:
    # The firm's and the profile's position caps are both reached (two bounds of exactly 0)
    # and a losing streak zeroes the target: no float doubt, so nothing is handed over.
    document = scenario(
        rules={"name": "One position", "limits": {"max_open_positions": 1}},
        profile={
            "preset": "aria",
            "account": {
                "limits": {"max_positions": 1},
                "adjusters": {
                    "performance": {
                        "enabled": True,
                        "losing_streak": {"at_least": 1, "factor": 0},
                    }
                },
            },
        },
        instrument=COARSE,
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={
            "balance": 10_000,
            "as_of": "2026-06-01T12:00:00Z",
            "positions": [
                {"symbol": "EURUSD", "side": "long", "lots": "0.01", "entry": "1.1", "stop": "1.09"}
            ],
            "trades": [
                {
                    "symbol": "FINE",
                    "side": "long",
                    "lots": 1,
                    "entry": 100,
                    "exit": 99,
                    "pnl": -100,
                    "opened_at": "2026-05-31T10:00:00Z",
                    "closed_at": "2026-05-31T11:00:00Z",
                }
            ],
        },
    )
    batch, _ = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("rejected", D(0), ("max_open_positions",), None)


@pytest.mark.parametrize(
    ("account", "threshold"),
    [
        # Half a unit of balance: a heat of 1 % of it, far within 50 %.
        ({"balance": "0.5"}, "0.5"),
        # No balance, equity in open profit: heat counts as 100 %, exactly at a threshold of 1.
        (
            {
                "balance": 0,
                "equity": 100,
                "size": 10_000,
                "positions": [
                    {
                        "symbol": "FINE",
                        "side": "long",
                        "lots": "0.1",
                        "entry": 100,
                        "stop": 200,
                        "price": 200,
                    }
                ],
            },
            "1",
        ),
    ],
)
def test_heat_on_a_balance_of_a_unit_or_less_is_measured_as_the_pipeline_does(
    account: dict[str, object], threshold: str
) -> None:
    document = scenario(
        profile={"preset": "aria", "account": {"adjusters": {"heat": {"threshold": threshold}}}},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={"as_of": "2026-06-01T12:00:00Z", **account},
    )
    _, inputs = _decided_by_the_batch(document)
    assert decide(inputs[0]).factors["heat"].value == 1


def _grouped_account(index: int, **account: object) -> DecisionInputs:
    # Cap 30.0005 of risk per trade, entries within 300 s one trade; FINE long at 100, stop 97:
    # 3 a lot. Each account differs only in what it holds.
    limits: dict[str, object] = {"max_risk_per_trade": {"fixed": "30.0005"}}
    if account.pop("grouped", True):
        limits["one_trade_within_seconds"] = 300
    document = scenario(
        profile={"preset": "aria", "account": {"risk_per_trade": "0.5"}},
        rules={"name": "One trade", "limits": limits},
        instrument=COARSE,
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={"id": f"acct-{index}", "balance": 10_000, "as_of": "2026-06-01T12:00:00Z"}
        | account,
    )
    return inputs_of(document)


def _fine_held(
    side: str = "long", opened: str | None = "2026-06-01T11:57:00Z"
) -> dict[str, object]:
    # 1.505 lots from 100 to a stop 5 away: 7.525 at risk.
    stop = 95 if side == "long" else 105
    position: dict[str, object] = {
        "symbol": "FINE",
        "side": side,
        "lots": "1.505",
        "entry": 100,
        "stop": stop,
    }
    return position | ({"opened_at": opened} if opened else {})


def test_entries_counted_as_one_trade_are_sized_alike_in_both_engines() -> None:
    accounts = [
        # 3 minutes before: (30.0005 − 7.525) / 3 = 7.4918…: 7.49.
        _grouped_account(0, positions=[_fine_held()]),
        # 6 minutes before: a trade of its own, 30.0005 / 3 = 10.0001…: 10.00.
        _grouped_account(1, positions=[_fine_held(opened="2026-06-01T11:54:00Z")]),
        # The other side: 10.00.
        _grouped_account(2, positions=[_fine_held("short")]),
        # Opened at an unknown time: counted, 7.49.
        _grouped_account(3, positions=[_fine_held(opened=None)]),
        # No grouping rule: 10.00.
        _grouped_account(4, positions=[_fine_held()], grouped=False),
        # A pending approval of 4 on the symbol and side: (30.0005 − 4) / 3 = 8.6668…: 8.66.
        _grouped_account(
            5, reservations=[{"decision_id": "d", "amount": 4, "symbol": "FINE", "side": "long"}]
        ),
    ]
    inputs = family(accounts, None)
    batch = _batch(inputs)
    expected = ["7.49", "10.00", "10.00", "7.49", "10.00", "8.66"]
    for index, item in enumerate(inputs):
        assert not batch.by_scalar[index], f"account {index}"
        assert batch.summary(index) == _scalar(item), f"account {index}"
        assert batch.summary(index) == ("approved", D(expected[index]), (), "max_risk_per_trade")


def test_a_balance_that_starts_at_zero_is_in_drawdown_on_its_capital_in_both_engines() -> None:
    # A 50,000 account whose balance starts at 0 (as a Topstep XFA): at 1,000 after a peak of
    # 2,000 it is 1,000 below 52,000 of capital, 1.92 %: the drawdown step of 0.9. 1 % of
    # 51,000 over 2.30 a lot, times 0.9, is 199.56 lots.
    document = scenario(
        rules={
            "name": "Zero start",
            "cash_flows": {
                "source": "test",
                "read_on": "2026-11-30",
                "confidence": "official",
                "starting_balance": 0,
            },
        },
        instrument=COARSE,
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": "97.7"},
        account={
            "balance": 1_000,
            "size": 50_000,
            "as_of": "2026-06-01T12:00:00Z",
            "peaks": {
                "intraday_equity": 2_000,
                "end_of_day_balance": 1_000,
                "closed_balance": 1_000,
            },
        },
    )
    batch, inputs = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("approved", D("199.56"), (), None)
    assert decide(inputs[0]).factors["drawdown"].value == D("0.9")


def test_an_opposite_position_on_a_sibling_account_is_a_hedge_in_both_engines() -> None:
    # FTMO forbids opposite positions across one trader's accounts: the account with none
    # does not count, the one holding the other side does.
    document = json.loads((EXAMPLES / "firm-ftmo.json").read_text())
    opposite = "long" if document["request"]["side"] == "short" else "short"
    document["account"]["others"] = [
        {"id": "empty", "firm": "ftmo", "phase_kind": "funded", "size": 100_000},
        {
            "id": "holds-the-other-side",
            "firm": "ftmo",
            "phase_kind": "funded",
            "size": 100_000,
            "positions": [{"symbol": document["request"]["symbol"], "side": opposite}],
        },
    ]
    inputs = [inputs_of(document)]
    batch = _batch(inputs)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == _scalar(inputs[0])
    assert batch.summary(0) == ("rejected", D(0), ("cross_account_hedge",), None)


@pytest.mark.parametrize(("combine", "lots"), [("product", "7.02"), ("most_restrictive", "7.80")])
def test_factors_combine_as_the_profile_says_in_both_engines(combine: str, lots: str) -> None:
    # 4 % below initial: the drawdown step of 0.5 (prepared with the fan-out); ATR percentile
    # 65: the volatility step of 0.9 (taken per signal). 1 % of 9,600 over 6.15 a lot is 15.609
    # lots: times 0.45, or times the smaller 0.5.
    document = scenario(
        profile={
            "preset": "aria",
            "account": {"adjusters": {"combine": combine, "drawdown": {"measure": "initial"}}},
        },
        instrument=COARSE,
        market={"atr_percentile": 65},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": "93.85"},
        account={"balance": 10_000, "equity": 9_600, "as_of": "2026-06-01T12:00:00Z"},
    )
    batch, _ = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0) == ("approved", D(lots), (), None)


def test_a_symbol_no_account_holds_has_no_positions_to_count() -> None:
    # One position on each of two other symbols, a cap of one position per symbol: a third
    # symbol is still open to a first position.
    held = [
        {"symbol": name, "side": "long", "lots": "0.1", "entry": 100, "stop": 95}
        for name in ("AAA", "BBB")
    ]
    document = scenario(
        rules={"name": "One per symbol", "limits": {"max_positions_per_symbol": 1}},
        instrument=COARSE,
        instruments=[{**COARSE, "symbol": "AAA"}, {**COARSE, "symbol": "BBB"}],
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={"balance": 10_000, "as_of": "2026-06-01T12:00:00Z", "positions": held},
    )
    batch, _ = _decided_by_the_batch(document)
    assert not batch.by_scalar[0]
    assert batch.summary(0)[0] == "approved"


@settings(max_examples=settings().max_examples, suppress_health_check=[HealthCheck.too_slow])
@given(fanouts())
def test_accounts_with_a_swing_budget_are_decided_in_the_batch_as_by_the_pipeline(
    inputs: list[DecisionInputs],
) -> None:
    # A floor that follows equity gives the account a swing budget; its room is a column of
    # the batch now, not a reason to hand the account to the pipeline.
    fan = prepare(inputs)
    budgets = ~np.isnan(fan.table.floats["max_loss_swing"]) | ~np.isnan(
        fan.table.floats["daily_loss_swing"]
    )
    assume(bool(budgets.any()))
    first = inputs[0]
    batch = decide_batch(fan, first.request, first.instrument, first.market)
    for index in np.flatnonzero(budgets):
        assert batch.summary(int(index)) == _scalar(inputs[int(index)]), f"account {index}"
