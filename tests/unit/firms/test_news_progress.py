"""Profit a firm's news rule does not count lowers the progress towards the target: removed
or deducted in full, scaled to the rule's share, losses counted in full, a trade once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accounts.model import AccountState, AssetClass, Trade
from firms.catalog import Catalog
from firms.model import Impact, NewsRule
from firms.news import EconomicEvent, Traded
from firms.progress import news_exclusions, objectives
from tests.builders import utc

D = Decimal
START = utc(2026, 6, 1, 7)
NOW = utc(2026, 6, 12, 12)
CPI = EconomicEvent(
    at=utc(2026, 6, 10, 12, 30), currency="USD", impact=Impact.HIGH, title="CPI m/m"
)
TRADED = {
    "EURUSD": Traded.of("EURUSD", AssetClass.FX, "EUR", "USD"),
    "EURGBP": Traded.of("EURGBP", AssetClass.FX, "EUR", "GBP"),
}


def trade(symbol: str, opened: dt.datetime, closed: dt.datetime, pnl: int) -> Trade:
    return Trade(
        symbol=symbol,
        side="long",
        lots=D(1),
        entry=D("1.1"),
        exit=D("1.2"),
        pnl=D(pnl),
        opened_at=opened,
        closed_at=closed,
    )


def at(hour: int, minute: int) -> dt.datetime:
    return utc(2026, 6, 10, hour, minute)


def state(balance: int) -> AccountState:
    return AccountState(balance=D(balance), equity=D(balance), as_of=NOW)


def test_the5ers_deducts_the_profit_of_trades_opened_or_closed_in_the_window(
    catalog: Catalog,
) -> None:
    """The5ers phase 1 (100k, target 8 % = 8,000), window 12:28–12:32 around a USD CPI at 12:30,
    actions open, close, pending, effect profit_deducted:

    - EURUSD opened 12:29, closed 13:00, +500: opened inside → 500 deducted
    - EURUSD opened 10:00, closed 12:31, +300: closed inside → 300 deducted
    - EURUSD opened 12:33, closed 13:00, +200: outside → counts
    - EURUSD opened 12:30, closed 12:45, −100: a loss → counts in full
    - EURGBP opened 12:30, closed 12:40, +400: no USD in it → counts

    Balance 100,000 + 500 + 300 + 200 − 100 + 400 = 101,300; profit 1,300 − 800 = 500;
    to the target 8,000 − 500 = 7,500.
    """
    rules = catalog.rule_set("the5ers", "high-stakes", "phase-1", 100_000)
    trades = [
        trade("EURUSD", at(12, 29), at(13, 0), 500),
        trade("EURUSD", at(10, 0), at(12, 31), 300),
        trade("EURUSD", at(12, 33), at(13, 0), 200),
        trade("EURUSD", at(12, 30), at(12, 45), -100),
        trade("EURGBP", at(12, 30), at(12, 40), 400),
    ]
    found = objectives(
        rules, D(100_000), state(101_300), trades, START, NOW, news_events=[CPI], traded=TRADED
    )
    assert (found.news_excluded, found.profit, found.to_target) == (D(800), D(500), D(7_500))
    assert [(e.trade.pnl, e.excluded) for e in found.news] == [(D(500), D(500)), (D(300), D(300))]
    assert "300.00 of 300.00 not counted (profit deducted" in found.news[1].describe()
    plain = objectives(rules, D(100_000), state(101_300), trades, START, NOW)
    assert (plain.news_excluded, plain.profit) == (D(0), D(1_300))  # no releases given


def test_fundednext_funded_counts_forty_percent_of_a_news_trade_once(catalog: Catalog) -> None:
    """FundedNext Stellar 2-Step funded: ±5 minutes, 40 % of the profit counts. A trade opened
    12:26 and closed 12:36 touches the windows of releases at 12:30 (12:25–12:35, opened) and
    12:40 (12:35–12:45, closed): 1,000 × (1 − 0.4) = 600 is taken once, not twice.
    Balance 100,000 + 1,000; profit 1,000 − 600 = 400. The challenge phase has no news rule."""
    second = EconomicEvent(
        at=utc(2026, 6, 10, 12, 40), currency="USD", impact=Impact.HIGH, title="Fed Chair Speaks"
    )
    trades = [trade("EURUSD", at(12, 26), at(12, 36), 1_000)]
    funded = catalog.rule_set("fundednext", "stellar-2-step", "funded", 100_000)
    found = objectives(
        funded,
        D(100_000),
        state(101_000),
        trades,
        START,
        NOW,
        news_events=[CPI, second],
        traded=TRADED,
    )
    assert (found.news_excluded, found.profit) == (D(600), D(400))
    assert len(found.news) == 1
    challenge = catalog.rule_set("fundednext", "stellar-2-step", "phase-1", 100_000)
    free = objectives(
        challenge,
        D(100_000),
        state(101_000),
        trades,
        START,
        NOW,
        news_events=[CPI, second],
        traded=TRADED,
    )
    assert (free.news_excluded, free.profit, free.to_target) == (D(0), D(1_000), D(7_000))


def test_a_breach_rule_takes_no_profit_and_an_unknown_symbol_is_not_guessed(
    catalog: Catalog,
) -> None:
    """FTMO funded's news rule breaches the account instead: no profit is taken. A symbol the
    mapping does not describe is touched only by scope ``all`` or a firm's list naming it."""
    ftmo = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    inside = [trade("EURUSD", at(12, 29), at(12, 31), 700)]
    assert news_exclusions(ftmo.news, inside, [CPI], TRADED) == ()
    the5ers = catalog.rule_set("the5ers", "high-stakes", "phase-1", 100_000)
    unknown = [trade("USDXYZ", at(12, 29), at(12, 31), 700)]
    assert news_exclusions(the5ers.news, unknown, [CPI], TRADED) == ()
    everywhere = the5ers.news[0].model_copy(update={"scope": "all"})
    taken = news_exclusions([everywhere], unknown, [CPI], TRADED)
    assert [t.excluded for t in taken] == [D(700)]


@given(
    pnls=st.lists(st.integers(-5_000, 5_000), min_size=1, max_size=8),
    minutes=st.lists(st.integers(0, 30), min_size=8, max_size=8),
)
def test_news_never_takes_more_than_the_winning_profit(pnls: list[int], minutes: list[int]) -> None:
    """Whatever the trades, what a rule takes is at most the sum of the winners' profit, and
    each winner loses at most its own profit."""
    rule = NewsRule.model_validate(
        {
            "before_minutes": 5,
            "after_minutes": 5,
            "actions": ["open", "close"],
            "effect": "profit_scaled",
            "profit_share": "0.4",
            "source": "test",
            "read_on": "2026-11-30",
            "confidence": "official",
        }
    )
    trades = [
        trade("EURUSD", at(12, 15 + m), at(12, 15 + m + 10), p)
        for p, m in zip(pnls, minutes, strict=False)
    ]
    taken = news_exclusions([rule], trades, [CPI], TRADED)
    winners = sum((D(p) for p in pnls if p > 0), D(0))
    assert sum((t.excluded for t in taken), D(0)) <= winners
    assert all(D(0) < t.excluded <= t.trade.pnl for t in taken)


def _rule(**fields: object) -> NewsRule:
    base = {"source": "test", "read_on": "2026-11-30", "confidence": "official"}
    return NewsRule.model_validate({**base, **fields})


def test_the_window_taking_most_wins_and_hold_counts_a_trade_open_across_it() -> None:
    """Around the 12:30 USD release: ``removed`` (±5, open/close: 12:25–12:35, all the profit)
    and ``scaled`` (±2, hold: 12:28–12:32, 40 % kept). A trade opened 12:27 and closed 12:40
    is touched by both: the removal (1,000) wins over the scaling (1,000 × 0.6 = 600), whatever
    the windows' order. A trade opened 12:00 and closed 13:00 (+500) is held across the hold
    window but neither opened nor closed inside the other: 500 × 0.6 = 300."""
    removed = _rule(
        before_minutes=5, after_minutes=5, actions=["open", "close"], effect="profit_removed"
    )
    scaled = _rule(
        before_minutes=2,
        after_minutes=2,
        actions=["hold"],
        effect="profit_scaled",
        profit_share="0.4",
    )
    both = trade("EURUSD", at(12, 27), at(12, 40), 1_000)
    across = trade("EURUSD", at(12, 0), at(13, 0), 500)
    for rules in ([removed, scaled], [scaled, removed]):
        taken = news_exclusions(rules, [both, across], [CPI], TRADED)
        assert [(t.excluded, t.window.rule.effect) for t in taken] == [
            (D(1_000), "profit_removed"),
            (D(300), "profit_scaled"),
        ]


def test_a_firms_list_for_a_release_touches_a_symbol_it_knows_nothing_else_of() -> None:
    """The EIA crude release at 14:30 (a firm's list: CL only, ±2 minutes, open): a CL trade
    opened 14:29 (+400) loses its profit though CL is not described to the rules; an MCL trade
    opened alike (+250) is not on the list and keeps it."""
    eia = EconomicEvent(
        at=utc(2026, 6, 10, 14, 30),
        currency="USD",
        impact=Impact.HIGH,
        title="Crude Oil Inventories",
    )
    assert eia.kind == "eia_crude"
    rule = _rule(
        before_minutes=2,
        after_minutes=2,
        actions=["open"],
        effect="profit_removed",
        events=["eia_crude"],
        event_targets={"eia_crude": {"symbols": ["CL"]}},
    )
    cl = trade("CL", at(14, 29), at(15, 0), 400)
    mcl = trade("MCL", at(14, 29), at(15, 0), 250)
    taken = news_exclusions([rule], [cl, mcl], [eia], TRADED)
    assert [(t.trade.symbol, t.excluded) for t in taken] == [("CL", D(400))]


def test_a_trade_held_to_a_windows_very_edge_is_held_through_it() -> None:
    """A hold rule's window 12:28–12:32: a trade opened exactly at 12:32 (+100) or closed
    exactly at 12:28 (+200) was held at an instant of it; one opened at 12:32:01 was not."""
    hold = _rule(before_minutes=2, after_minutes=2, actions=["hold"], effect="profit_removed")
    at_end = trade("EURUSD", at(12, 32), at(13, 0), 100)
    at_start = trade("EURUSD", at(12, 0), at(12, 28), 200)
    after = trade("EURUSD", at(12, 32) + dt.timedelta(seconds=1), at(13, 0), 300)
    taken = news_exclusions([hold], [at_end, at_start, after], [CPI], TRADED)
    assert [t.excluded for t in taken] == [D(100), D(200)]
