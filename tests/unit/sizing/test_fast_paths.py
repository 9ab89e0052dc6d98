"""The pipeline's shortcuts give what the plain way gives: a book valued once per instrument,
the owner-list memo, the view's cached sums."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aria.sizing.adjusters import ADJUSTERS, enabled_adjusters
from aria.sizing.exposure import _Terms, value_book, value_position
from aria.sizing.gates import owner_findings
from aria.sizing.instruments import load_instruments, point_value
from aria.sizing.limits.base import AccountView
from aria.sizing.pipeline import account_view, headroom_of
from aria.sizing.profiles import Profile
from aria.sizing.stops import stop_floor
from firms.catalog import load_catalog
from firms.cross_account import AccountRef
from firms.model import PhaseKind
from tests.builders import inputs_of, scenario
from tests.strategies import scenarios

D = Decimal


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(scenarios())
def test_a_book_valued_once_per_instrument_is_valued_as_each_position_alone(
    document: dict[str, Any],
) -> None:
    # The same symbol twice, so a second position reuses the first one's terms.
    account = document["account"]
    account["positions"] = account["positions"] + account["positions"]
    inputs = inputs_of(document)
    args = (
        inputs.market.rates,
        inputs.account.currency,
        inputs.rules,
        inputs.profile,
    )
    book = value_book(inputs.state.positions, inputs.instruments, *args)
    alone = [
        value_position(p, inputs.instruments.get(p.symbol), *args) for p in inputs.state.positions
    ]
    assert book == alone


def _ref(account_id: str, owner: str, size: int) -> AccountRef:
    rules = load_catalog().firm("ftmo").cross_account
    return AccountRef(account_id, owner, "ftmo", PhaseKind.FUNDED, D(size), "USD", rules)


def test_a_list_that_differs_after_its_first_account_is_counted_afresh() -> None:
    # Same length, same first account: only the second differs, and only it passes the cap.
    small = (_ref("c-1", "carol", 100_000), _ref("c-2", "carol", 100_000))
    large = (_ref("c-1", "carol", 100_000), _ref("c-2", "carol", 350_000))
    assert owner_findings(small) == {}
    assert "c-2" in owner_findings(large)
    assert owner_findings(small) == {}
    assert owner_findings(()) == {}


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(scenarios())
def test_the_views_sums_are_computed_once_and_are_the_sums(document: dict[str, Any]) -> None:
    inputs = inputs_of(document)
    held = value_book(
        inputs.state.positions,
        inputs.instruments,
        inputs.market.rates,
        inputs.account.currency,
        inputs.rules,
        inputs.profile,
    )
    view = account_view(inputs, held, headroom_of(inputs, held))
    margin = sum((h.margin for h in held if h.margin is not None), D(0))
    notional = sum((h.notional for h in held if h.notional is not None), D(0))
    assert view.margin == margin
    assert view.notional == notional
    assert view.open_used == view.headroom.open_risk + view.headroom.reserved
    assert view.__dict__["margin"] is view.margin  # kept: read again, not summed again
    assert AccountView.margin is AccountView.__dict__["margin"]  # the class reads the descriptor


def test_the_adjusters_a_profile_turns_on_are_those_of_each_new_profile() -> None:
    on = Profile.model_validate({"name": "on"})
    off = Profile.model_validate(
        {
            **on.model_dump(),
            "adjusters": {**on.adjusters.model_dump(), "drawdown": {"enabled": False}},
        }
    )
    plain = [a.name for a in ADJUSTERS if a.enabled(on)]
    assert [a.name for a in enabled_adjusters(on)] == plain
    assert enabled_adjusters(on) is enabled_adjusters(on)  # kept for the profile object
    assert [a.name for a in enabled_adjusters(off)] == [a.name for a in ADJUSTERS if a.enabled(off)]
    assert "drawdown" in plain
    assert "drawdown" not in [a.name for a in enabled_adjusters(off)]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    ticks=st.integers(0, 50),
    tick=st.decimals("0.00001", "1", places=5),
    atr=st.none() | st.decimals("0", "5", places=4),
    of_atr=st.none() | st.decimals("0", "1", places=2),
    spread=st.none() | st.decimals("0", "0.01", places=5),
    spreads=st.none() | st.decimals("0.5", "5", places=1),
)
def test_the_stop_floor_is_the_first_largest_candidate_with_its_reason(
    ticks: int,
    tick: Decimal,
    atr: Decimal | None,
    of_atr: Decimal | None,
    spread: Decimal | None,
    spreads: Decimal | None,
) -> None:
    # The plain way: every candidate with its reason, the first of the largest.
    candidates = [(ticks * tick, f"{ticks} ticks of {tick}")]
    if of_atr is not None and atr is not None:
        candidates.append((atr * of_atr, f"{of_atr} × ATR {atr}"))
    if spreads is not None and spread is not None:
        candidates.append((spread * spreads, f"{spreads} × the spread {spread}"))
    distance, reason = max(candidates, key=lambda c: c[0])

    stops = SimpleNamespace(min_stop_ticks=ticks, min_stop_atr=of_atr, min_stop_spreads=spreads)
    found = stop_floor(
        SimpleNamespace(spread=spread),  # type: ignore[arg-type]
        SimpleNamespace(atr=atr),  # type: ignore[arg-type]
        SimpleNamespace(stops=stops),  # type: ignore[arg-type]
        SimpleNamespace(min_stop_ticks=0, tick_size=tick),  # type: ignore[arg-type]
    )
    assert (found.distance, found.reason) == (distance, reason)
    assert str(found.distance) == str(distance)  # the same exponent as well


@pytest.mark.parametrize("symbol", ["EURUSD", "USDJPY", "EURGBP", "XAUUSD"])
@pytest.mark.parametrize("account_ccy", ["USD", "EUR", "JPY"])
def test_a_books_point_value_is_the_instruments_at_every_price(
    symbol: str, account_ccy: str
) -> None:
    instrument = load_instruments().get(symbol)
    rates = {"EURUSD": D("1.085"), "USDJPY": D("151.2"), "GBPUSD": D("1.27")}
    terms = _Terms(
        instrument,
        account_ccy,
        inputs_of(scenario()).rules,
        Profile.model_validate({"name": "book"}),
    )
    for price in (D("1.0831"), D("150.07"), D("0.8544"), D("2391.5"), D("1.0831")):
        expected = point_value(instrument, price, account_ccy, rates)
        assert terms.point_value(price, rates) == expected
    # Other rates are converted afresh, not taken from the first ones.
    other = {**rates, "EURUSD": D("1.2"), "USDJPY": D("140")}
    assert terms.point_value(D("150.07"), other) == point_value(
        instrument, D("150.07"), account_ccy, other
    )
