"""The worst-case promise, stated as the firms state it, checked by a model of their rules.

An approved trade, together with what the account already holds, must not end past any
floor in whatever order stops and targets fill, with the daily reset falling anywhere in
between (unless the plan is flat before its reset). The model below is written from the
firms' rules, not from ARIA's floors and headroom: it walks every order of fills, lets
every open position swing to its target before it falls to its stop, and re-anchors the
daily floor and the end-of-day peak at the reset.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import Decision, RejectCode
from aria.sizing.inputs import DecisionInputs
from aria.sizing.instruments import Instrument
from aria.sizing.pipeline import decide
from aria.sizing.stops import geometry
from firms.model import DailyAnchor, LockAt, PctOf, TrailBasis
from firms.ruleset import RuleSet
from tests.builders import CATALOG, inputs_of, run

D = Decimal
NOW = "2026-06-02T14:00:00Z"  # a Tuesday, mid-session on every firm's clock


# --------------------------------------------------------------------------- stops


def _gbpusd(**request: Any) -> dict[str, Any]:
    return {
        "profile": "aria",
        "firm": "ftmo",
        "plan": "2-step",
        "account": {"size": 100000, "balance": 100000, "as_of": NOW},
        "instrument": "GBPUSD",
        "market": {"atr": "0.0080", "atr_percentile": 50},
        "request": {"symbol": "GBPUSD", "side": "long", "entry": "1.27000", **request},
    }


def test_a_stop_a_fraction_of_a_tick_away_is_rejected_not_sized() -> None:
    decision = run(_gbpusd(stop="1.2699999999"))
    assert decision.status == "rejected"
    assert decision.reject_codes == [RejectCode.STOP_TOO_CLOSE]
    assert decision.lots == 0
    assert decision.stop == D("1.26999")  # on the tick grid, away from the entry
    assert decision.limits == []  # nothing was sized


def test_request_stops_and_targets_go_on_the_tick_grid_away_from_the_entry() -> None:
    long = run(_gbpusd(stop="1.2650049", take_profit="1.2800001"))
    assert long.approved
    assert long.stop == D("1.26500")
    assert long.take_profit == D("1.28001")
    short = run(_gbpusd(side="short", stop="1.2750001", take_profit="1.2600009"))
    assert short.stop == D("1.27501")
    assert short.take_profit == D("1.26000")
    # The risk is the loss at the rounded stop: never less than the request's own stop gives.
    assert long.risk_amount >= long.lots * (D("1.27000") - D("1.2650049")) * 100000


@pytest.mark.parametrize(
    ("request_part", "profile", "approved"),
    [
        ({"stop": "1.26980"}, "aria", False),  # 2 pips: inside the instrument's 3 pips
        ({"stop": "1.26960"}, "aria", False),  # 4 pips: inside 0.1 × ATR (8 pips)
        ({"stop": "1.26900"}, "aria", True),  # 10 pips
        ({"stop": "1.26900", "spread": "0.00060"}, "aria", False),  # inside 2 spreads
        (
            {"stop": "1.26980"},
            {"preset": "aria", "account": {"stops": {"min_stop_ticks": 5, "min_stop_atr": None}}},
            True,
        ),
    ],
)
def test_the_minimum_stop_distance_is_ticks_atr_or_spread(
    request_part: dict[str, str], profile: Any, approved: bool
) -> None:
    decision = run({**_gbpusd(**request_part), "profile": profile})
    assert decision.approved is approved
    if not approved:
        assert RejectCode.STOP_TOO_CLOSE in decision.reject_codes


def test_the_batch_engine_rejects_a_stop_too_close_alike() -> None:
    inputs = inputs_of(_gbpusd(stop="1.26990"))
    batch = decide_batch(prepare([inputs]), inputs.request, inputs.instrument, inputs.market)
    assert batch.summary(0)[:3] == ("rejected", 0, (RejectCode.STOP_TOO_CLOSE,))


# --------------------------------------------------------------------------- carried floors


def _limit(decision: Decision, name: str) -> Decimal | None:
    return next((c.max_lots for c in decision.limits if c.name == name), None)


def test_a_trade_held_past_the_reset_must_fit_tomorrows_daily_floor() -> None:
    # FTMO 2-Step, up 3,000 on the day (closed): today's floor is 95,000, so 8,000 of room,
    # but a trade still open at the reset meets a floor re-anchored at 98,000. Its risk must
    # fit the 5,000 daily amount (less the buffer), not the 8,000.
    document = {
        "profile": {"preset": "aria", "account": {"risk_per_trade": "0.2"}},
        "firm": "ftmo",
        "plan": "2-step",
        "account": {
            "size": 100000,
            "balance": 103000,
            "as_of": NOW,
            "day_start": {"balance": 100000, "equity": 100000},
            "peaks": {"closed_balance": 103000, "end_of_day_balance": 100000},
        },
        "instrument": "EURUSD",
        "market": {"atr": "0.0100", "atr_percentile": 50},
        "request": {"symbol": "EURUSD", "side": "long", "entry": "1.10000", "stop": "1.09000"},
    }
    decision = run(document)
    assert decision.approved
    assert decision.binding == "daily_loss_next_day"
    assert decision.risk_amount <= D(5000)
    today = _limit(decision, "daily_loss_headroom")
    assert today is not None
    assert today * D(1000) > D(7000)  # today alone would have allowed about 8,000 of risk


def test_a_plan_flat_before_its_reset_has_no_next_day_limit() -> None:
    document = {
        "profile": "aria",
        "firm": "topstep",
        "plan": "trading-combine",
        "account": {"size": 50000, "balance": 51000, "as_of": NOW},
        "instrument": "MES",
        "market": {"atr": "40", "atr_percentile": 50},
        "request": {"symbol": "MES", "side": "long", "entry": "5000", "stop": "4990"},
    }
    decision = run(document)
    assert _limit(decision, "daily_loss_next_day") is None
    assert _limit(decision, "max_loss_after_profits") is None


def test_profit_locked_in_by_a_stop_does_not_count_as_room_on_a_closed_balance_trail() -> None:
    # E8 One trails closed balance. A long EURUSD whose stop sits 3,000 in profit would,
    # filled first, raise the floor by 3,000: the new trade may take only the trailing
    # distance less the buffer, not the distance plus the locked-in profit.
    held = {
        "symbol": "EURUSD",
        "side": "long",
        "lots": "3",
        "entry": "1.10000",
        "price": "1.12000",
        "stop": "1.11000",
    }
    document = {
        "profile": {"preset": "aria", "account": {"risk_per_trade": "0.2"}},
        "firm": "e8",
        "plan": "one",
        "account": {
            "size": 100000,
            "balance": 100000,
            "equity": 106000,
            "as_of": NOW,
            "positions": [held],
        },
        "instrument": "GBPUSD",
        "market": {"atr": "0.0100", "atr_percentile": 50},
        "request": {"symbol": "GBPUSD", "side": "long", "entry": "1.27000", "stop": "1.26000"},
    }
    decision = run(document)
    rules = inputs_of(document).rules
    assert rules.max_loss.trail is TrailBasis.CLOSED_BALANCE
    distance = rules.max_loss.amount.resolve(rules.size)
    assert decision.approved
    after = _limit(decision, "max_loss_after_profits")
    assert after is not None
    # 1,000 a lot to the stop: the trailing distance, less nothing the held trade can lose.
    assert after == (distance / D(1000)).quantize(D("1e-8"))
    headroom = _limit(decision, "max_loss_headroom")
    assert headroom is None or headroom > after  # equity's distance counts the locked profit


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Leg:
    """One position as the firm sees it: realised at its stop or at its target."""

    sign: int
    lots: Decimal
    entry: Decimal
    stop: Decimal
    target: Decimal | None
    mark: Decimal
    instrument: Instrument

    def pnl(self, price: Decimal) -> Decimal:
        """Profit (negative: loss) in USD if closed at ``price``, converted at that price."""
        quote = (price - self.entry) * self.sign * self.lots * self.instrument.contract_size
        if self.instrument.quote == "USD":
            return quote
        assert self.instrument.base == "USD"
        return quote / price

    @property
    def high(self) -> Decimal:
        return self.target if self.target is not None else self.mark


def _daily_floor(rules: RuleSet, anchor: Decimal) -> Decimal | None:
    daily = rules.daily_loss
    if daily.anchor is DailyAnchor.NONE or daily.amount is None:
        return None
    if daily.anchor is DailyAnchor.INITIAL:
        anchor = rules.start
    base = anchor if daily.pct_of is PctOf.ANCHOR else rules.size
    return anchor - daily.amount.resolve(rules.size, base)


def _max_floor(rules: RuleSet, peaks: dict[TrailBasis, Decimal]) -> Decimal:
    rule = rules.max_loss
    distance = rule.amount.resolve(rules.size)
    # The balance the plan starts at (0 for a Topstep XFA) anchors; the size sets the distance.
    if rule.trail is TrailBasis.NONE:
        return rules.start - distance
    floor = max(peaks[rule.trail], rules.start) - distance
    if rule.lock is LockAt.INITIAL:
        floor = min(floor, rules.start + rule.lock_offset)
    return floor


def _walk(
    inputs: DecisionInputs,
    legs: list[Leg],
    ends: tuple[Decimal, ...],
    order: tuple[int, ...],
    reset_at: int | None,
) -> str | None:
    """The first floor passed on one path, or ``None``."""
    rules, state, day = inputs.rules, inputs.state, inputs.day
    balance = state.balance
    peaks = {
        TrailBasis.CLOSED_BALANCE: inputs.peaks.closed_balance,
        TrailBasis.END_OF_DAY_BALANCE: inputs.peaks.end_of_day_balance,
        TrailBasis.INTRADAY_EQUITY: max(inputs.peaks.intraday_equity, state.equity),
    }
    kind = rules.daily_loss.anchor
    if day is None:
        anchor = rules.start
        high = state.equity
    elif kind is DailyAnchor.RESET_BALANCE:
        anchor, high = day.balance, day.equity_high
    elif kind is DailyAnchor.RESET_BALANCE_OR_EQUITY:
        anchor, high = max(day.balance, day.equity), day.equity_high
    else:
        anchor = high = max(day.equity_high, state.equity)
    floating = rules.floating_loss.amount.resolve(rules.size) if rules.floating_loss else None
    open_legs = set(range(len(legs)))

    def equity(at_high: bool) -> Decimal:
        return balance + sum(
            (legs[i].pnl(legs[i].high if at_high else legs[i].stop) for i in open_legs), D(0)
        )

    def rise() -> None:
        nonlocal anchor, high
        top = equity(True)
        peaks[TrailBasis.INTRADAY_EQUITY] = max(peaks[TrailBasis.INTRADAY_EQUITY], top)
        high = max(high, top)
        if kind is DailyAnchor.DAY_EQUITY_HIGH:
            anchor = max(anchor, top)

    def passed() -> str | None:
        low = equity(False)
        daily = _daily_floor(rules, anchor)
        if daily is not None and low < daily:
            return f"daily floor {daily} at equity {low}"
        floor = _max_floor(rules, peaks)
        if low < floor:
            return f"max-loss floor {floor} at equity {low}"
        if floating is not None and low < balance - floating:
            return f"floating-loss floor {balance - floating} at equity {low}"
        return None

    for step, index in enumerate(order):
        rise()
        if found := passed():
            return found
        if reset_at == step:
            peaks[TrailBasis.END_OF_DAY_BALANCE] = max(
                peaks[TrailBasis.END_OF_DAY_BALANCE], balance
            )
            top = equity(True)
            if kind is DailyAnchor.RESET_BALANCE:
                anchor = balance
            elif kind is DailyAnchor.RESET_BALANCE_OR_EQUITY:
                anchor = max(balance, top)
            elif kind is DailyAnchor.DAY_EQUITY_HIGH:
                anchor = top
            high = top
            rise()
            if found := passed():
                return f"after the reset: {found}"
        balance += legs[index].pnl(ends[index])
        peaks[TrailBasis.CLOSED_BALANCE] = max(peaks[TrailBasis.CLOSED_BALANCE], balance)
        open_legs.discard(index)
    return passed()


def worst_path(inputs: DecisionInputs, legs: list[Leg]) -> str | None:
    """The first path of fills (and reset) that passes a floor, or ``None``."""
    resets: list[int | None] = [None]
    if not inputs.rules.flat_before_reset:
        resets += list(range(len(legs)))
    choices = [(leg.stop,) if leg.target is None else (leg.stop, leg.target) for leg in legs]
    for ends in itertools.product(*choices):
        for order in itertools.permutations(range(len(legs))):
            for reset_at in resets:
                found = _walk(inputs, legs, ends, order, reset_at)
                if found is not None:
                    return f"{found} (fills {order}, at {ends}, reset before fill {reset_at})"
    return None


# --------------------------------------------------------------------------- random books

PLANS = [
    (firm.id, plan.id, plan.rulebook_version, phase.id, size)
    for firm, plan in CATALOG.plans()
    if plan.status != "retired"
    for phase in plan.phases
    for size in plan.sizes[:1]
]
PRICES = {
    "EURUSD": D("1.10000"),
    "XAUUSD": D("2000.00"),
    "US500": D("5000.00"),
    "USDJPY": D("150.000"),
    "USDCAD": D("1.40000"),
    "MES": D("5000.00"),
    "MNQ": D("19000.00"),
    "ES": D("5000.00"),
}
CFD = ["EURUSD", "XAUUSD", "US500", "USDJPY", "USDCAD"]
FUTURES = ["MES", "MNQ", "ES"]


def _lots(symbol: str, scale: int) -> str:
    if symbol in FUTURES:
        return str(scale)
    return f"0.{scale:02d}" if scale < 100 else "1"


@st.composite
def books(draw: st.DrawFn) -> dict[str, Any]:
    """A random account on a catalog plan, with open positions and one new signal."""
    firm, plan, version, phase, size = draw(st.sampled_from(PLANS))
    symbols = FUTURES if firm in ("topstep", "apex") else CFD
    size_d = D(size)
    balance = size_d * (1 + D(draw(st.integers(-30, 60))) / 1000)
    positions = []
    floating = D(0)
    for number in range(draw(st.integers(0, 3))):
        symbol = draw(st.sampled_from(symbols))
        price = PRICES[symbol]
        sign = draw(st.sampled_from([1, -1]))
        move = price * D(draw(st.integers(-20, 20))) / 1000  # mark against entry
        entry = price - sign * move
        gap = price * D(draw(st.integers(2, 40))) / 1000  # mark to stop
        stop = price - sign * gap
        target = None
        if draw(st.booleans()):
            farther = max(price, entry) if sign > 0 else min(price, entry)
            target = farther + sign * price * D(draw(st.integers(2, 60))) / 1000
        lots = _lots(symbol, draw(st.integers(1, 60 if symbol in CFD else 3)))
        position = {
            "id": f"p{number}",
            "symbol": symbol,
            "side": "long" if sign > 0 else "short",
            "lots": lots,
            "entry": str(entry),
            "price": str(price),
            "stop": str(stop),
        }
        if target is not None:
            position["take_profit"] = str(target)
        positions.append(position)
        contract = D(100000) if symbol in ("EURUSD", "USDJPY", "USDCAD") else D(1)
        contract = {"XAUUSD": D(100), "MES": D(5), "MNQ": D(2), "ES": D(50)}.get(symbol, contract)
        pnl = (price - entry) * sign * D(lots) * contract
        floating += pnl / price if symbol in ("USDJPY", "USDCAD") else pnl
    equity = balance + floating
    day_balance = size_d * (1 + D(draw(st.integers(-20, 40))) / 1000)
    symbol = draw(st.sampled_from(symbols))
    price = PRICES[symbol]
    sign = draw(st.sampled_from([1, -1]))
    stop = price - sign * price * D(draw(st.integers(3, 60))) / 1000
    request: dict[str, Any] = {
        "symbol": symbol,
        "side": "long" if sign > 0 else "short",
        "entry": str(price),
        "stop": str(stop),
    }
    if draw(st.booleans()):
        request["take_profit"] = str(price + sign * price * D(draw(st.integers(3, 80))) / 1000)
    return {
        "profile": {
            "preset": "aria",
            "account": {"risk_per_trade": str(D(draw(st.integers(5, 100))) / 1000)},
        },
        "firm": firm,
        "plan": plan,
        "rulebook_version": version,
        "account": {
            "phase": phase,
            "size": size,
            "balance": str(balance),
            "equity": str(equity),
            "as_of": NOW,
            "positions": positions,
            "day_start": {
                "balance": str(day_balance),
                "equity": str(day_balance),
                "equity_high": str(max(day_balance, equity)),
            },
            "peaks": {
                "closed_balance": str(max(balance, day_balance)),
                "end_of_day_balance": str(day_balance),
                "intraday_equity": str(max(balance, day_balance, equity)),
            },
        },
        "instrument": symbol,
        "market": {
            "atr": str(price / 100),
            "atr_percentile": 50,
            "rates": {"USDJPY": "150", "USDCAD": "1.4"},
        },
        "request": request,
    }


def _legs(inputs: DecisionInputs, decision: Decision) -> list[Leg]:
    legs = []
    for p in inputs.state.positions:
        assert p.stop is not None
        legs.append(
            Leg(
                p.side.sign,
                p.lots,
                p.entry,
                p.stop,
                p.take_profit,
                p.price or p.entry,
                inputs.instruments[p.symbol],
            )
        )
    request = inputs.request
    assert decision.stop is not None
    legs.append(
        Leg(
            request.side.sign,
            decision.lots,
            request.entry,
            decision.stop,
            decision.take_profit,
            request.entry,
            inputs.instrument,
        )
    )
    return legs


# ARIA_WORST_CASE_BOOKS=4000 runs the model over more books (the default keeps CI short).
@settings(
    max_examples=int(os.environ.get("ARIA_WORST_CASE_BOOKS", "300")),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(books())
def test_no_order_of_fills_after_an_approved_trade_ends_past_a_floor(book: dict[str, Any]) -> None:
    inputs = inputs_of(book)
    decision = decide(inputs)
    # The batch engine of a fan-out decides the same (its limits are the pipeline's).
    batch = decide_batch(prepare([inputs]), inputs.request, inputs.instrument, inputs.market)
    assert batch.summary(0) == (
        decision.status,
        decision.lots,
        tuple(decision.reject_codes),
        decision.binding,
    )
    if not decision.approved:
        return
    found = worst_path(inputs, _legs(inputs, decision))
    assert found is None, f"{inputs.rules.label}: {decision.lots} lots end past a floor: {found}"


def test_the_model_finds_the_paths_the_old_headroom_missed() -> None:
    # The model is able to fail: 8,000 of risk on an FTMO account up 3,000, held past the
    # reset, passes tomorrow's daily floor.
    document = {
        "profile": "aria",
        "firm": "ftmo",
        "plan": "2-step",
        "account": {
            "size": 100000,
            "balance": 103000,
            "as_of": NOW,
            "day_start": {"balance": 100000, "equity": 100000},
        },
        "instrument": "EURUSD",
        "market": {"atr": "0.0100", "atr_percentile": 50},
        "request": {"symbol": "EURUSD", "side": "long", "entry": "1.10000", "stop": "1.09000"},
    }
    inputs = inputs_of(document)
    approved = decide(inputs).model_copy(update={"lots": D("8.00"), "take_profit": None})
    found = worst_path(inputs, _legs(inputs, approved))
    assert found is not None
    assert "after the reset" in found


def test_a_flat_by_time_counts_only_when_it_falls_before_the_reset() -> None:
    topstep = inputs_of(
        {
            "profile": "aria",
            "firm": "topstep",
            "plan": "trading-combine",
            "account": {"size": 50000, "balance": 50000, "as_of": NOW},
            "instrument": "MES",
            "request": {"symbol": "MES", "side": "long", "entry": "5000", "stop": "4990"},
        }
    ).rules
    assert topstep.flat_before_reset  # flat by 15:10 CT, reset at 17:00 CT
    session = topstep.sessions[0]
    assert session.flat_by is not None

    def flat_by(hour: int, minute: int) -> RuleSet:
        clock = session.flat_by.model_copy(update={"time": dt.time(hour, minute)})
        late = session.model_copy(update={"flat_by": clock, "overnight_holding": True})
        return topstep.model_copy(update={"sessions": (late,)})

    assert flat_by(16, 59).flat_before_reset
    assert not flat_by(17, 30).flat_before_reset  # a position crosses the 17:00 reset first


def test_a_short_swing_in_the_accounts_own_base_counts_the_profit_at_the_targets_rate() -> None:
    # Short USDJPY at 150 with a target at 140 and a stop at 155: the 10 yen of profit are
    # earned at 140 and the 15 yen back to the stop lost mostly near 155; the swing counts
    # all 15 at the larger value of a yen, 100,000 / 140 USD a lot, never at the stop's.
    document = {
        "profile": "aria",
        "firm": "ftmo",
        "plan": "2-step",
        "account": {"size": 100000, "balance": 100000, "as_of": NOW},
        "instrument": "USDJPY",
        "market": {"atr": "1.5", "atr_percentile": 50},
        "request": {
            "symbol": "USDJPY",
            "side": "short",
            "entry": "150.000",
            "stop": "155.000",
            "take_profit": "140.000",
        },
    }
    inputs = inputs_of(document)
    g = geometry(inputs.request, inputs.market, inputs.profile, inputs.instrument, "USD")
    assert g is not None
    assert g.swing_per_lot is not None
    assert g.swing_per_lot >= D(15) * D(100000) / D(140)
