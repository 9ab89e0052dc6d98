"""The compliance report, built from a real database, checked against that database."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from aria.audit.filters import DecisionFilter, EventFilter
from aria.reports.compliance import compliance_report
from aria.service import accounts as account_service
from aria.service import audit, maintenance
from aria.service import market as market_service
from aria.service.commands import BarsBatch, Promote, RecordTrades, SetTrading
from aria.service.context import Context
from aria.service.errors import NotFound
from storage.engine import make_engine
from storage.schema import upgrade
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context

D = Decimal
NOW = "2026-06-02 09:00:00"
CHARTS = [
    "Equity against the floors",
    "Decisions over time",
    "Sizing factors over time",
    "Correlation heat map",
]
REASON = 'check <b>limits</b> & "quotes"'  # must come back as text, never as markup


class Page(HTMLParser):
    """What the test reads from the report: images, data fields, empty notes, resources."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str]] = []
        self.fields: dict[str, str] = {}
        self.empty: set[str] = set()
        self.tags: list[str] = []
        self.resources: list[str] = []  # every src/href: must all be inline data
        self.rows: dict[str, int] = {}  # table rows by class (approved / rejected)
        self.text: list[str] = []
        self.bars: dict[str, dict[str, str]] = {}  # progress bars by their field
        self._field: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.tags.append(tag)
        if tag == "img":
            self.images.append(found)
        if "data-field" in found:
            assert found["data-field"] not in self.fields, f"{found['data-field']} twice"
            self.fields[found["data-field"]] = found["data-value"]
            self._field = found["data-field"]
        if tag == "progress":
            assert self._field is not None
            assert found.get("aria-label")
            self.bars[self._field] = found
        if "data-empty" in found:
            self.empty.add(found["data-empty"])
        if tag == "tr" and "class" in found:
            self.rows[found["class"]] = self.rows.get(found["class"], 0) + 1
        self.resources += [found[name] for name in ("src", "href") if name in found]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _walk(seed: int, price: float, days: int = 90) -> list[tuple]:
    """A seeded random walk of daily bars ending the day before the frozen now."""
    rng = np.random.default_rng(seed)
    closes = price * np.exp(np.cumsum(rng.normal(0, 0.006, days)))
    last = utc(2026, 6, 1)
    bars = []
    for day, close in enumerate(closes):
        high = close * (1 + abs(rng.normal(0, 0.003)))
        low = close * (1 - abs(rng.normal(0, 0.003)))
        at = last - dt.timedelta(days=days - 1 - day)
        bars.append(
            (at, D(f"{close:.5f}"), D(f"{high:.5f}"), D(f"{low:.5f}"), D(f"{close:.5f}"), None)
        )
    return bars


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    engine = make_engine(f"sqlite:///{tmp_path / 'aria.db'}")
    upgrade(engine)
    yield make_context(engine, clock=SettableClock(NOW))
    engine.dispose()


def clock_of(ctx: Context) -> SettableClock:
    """The test context's clock, to move it."""
    assert isinstance(ctx.clock, SettableClock)
    return ctx.clock


def _market(ctx: Context) -> None:
    for seed, symbol, price in ((1, "EURUSD", 1.1), (2, "GBPUSD", 1.27), (3, "USDJPY", 150.0)):
        market_service.ingest_bars(ctx, BarsBatch(symbol=symbol, bars=_walk(seed, price)))
    assert maintenance.volatility(ctx).done == 3
    assert maintenance.correlations(ctx).details == {"version": 1, "symbols": 3}


def _history(ctx: Context, clock: SettableClock) -> None:
    """States across a daily reset, an operator halt, and four requests (one rejected)."""
    open_account(ctx, "ftmo-1")
    for balance, equity, at in (
        (100_000, 100_000, utc(2026, 6, 1, 10)),
        (100_500, 100_200, utc(2026, 6, 1, 15)),
        (100_500, 99_800, utc(2026, 6, 1, 21)),
        (99_700, 99_900, utc(2026, 6, 2, 6)),  # after the midnight Prague reset
        (99_700, 99_650, utc(2026, 6, 2, 8, 50)),
    ):
        push(ctx, "ftmo-1", balance, equity, at)
    assert ask(ctx, "r1", ["ftmo-1"]).decisions[0].decision.approved
    clock.move_to("2026-06-02 09:03:00")
    off = SetTrading(enabled=False, actor="desk", reason=REASON)
    account_service.set_trading(ctx, "ftmo-1", off)
    rejected = ask(ctx, "r2", ["ftmo-1"], symbol="EURUSD", entry="1.1000", stop="1.0900")
    assert rejected.decisions[0].decision.reject_codes == ["halted"]
    on = SetTrading(enabled=True, actor="desk", reason="reviewed")
    account_service.set_trading(ctx, "ftmo-1", on)
    clock.move_to("2026-06-02 09:04:00")
    short = ask(ctx, "r3", ["ftmo-1"], symbol="USDJPY", side="short", entry="150", stop="151")
    assert short.decisions[0].decision.approved
    # Near the daily floor (95,500) the headroom, not the 1 % risk, sets the size.
    clock.move_to("2026-06-02 09:08:00")
    push(ctx, "ftmo-1", 99_700, 95_800, utc(2026, 6, 2, 9, 7))
    clipped = ask(ctx, "r4", ["ftmo-1"]).decisions[0].decision
    assert clipped.approved
    assert clipped.binding == "daily_loss_headroom"


def _count(ctx: Context, query: object, filters: object) -> int:
    """Every record of an audit query, following the cursors."""
    total, cursor = 0, None
    while True:
        page = query(ctx, filters, cursor, 1000)  # type: ignore[operator]
        total += len(page.items)
        if page.next_cursor is None:
            return total
        cursor = page.next_cursor


def _assert_pngs(page: Page, alts: list[str]) -> None:
    # Each chart's text alternative names it, then says what it shows.
    assert [image["alt"].split(":")[0] for image in page.images] == alts
    assert all(
        len(image["alt"]) > len(alt) + 10 for image, alt in zip(page.images, alts, strict=True)
    )
    for image in page.images:
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        png = base64.b64decode(image["src"][len(prefix) :], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(png) > 1000  # a real picture, not an empty canvas


def _assert_self_contained(html_text: str, page: Page) -> None:
    assert all(resource.startswith("data:") for resource in page.resources)
    assert not {"script", "link", "iframe", "object", "embed"} & set(page.tags)
    assert "url(" not in html_text
    assert "@import" not in html_text


def test_report_matches_the_database(ctx: Context) -> None:
    _market(ctx)
    _history(ctx, clock_of(ctx))
    text = compliance_report(ctx, "ftmo-1")
    risk = account_service.account_risk(ctx, "ftmo-1")
    states = account_service.state_history(ctx, "ftmo-1")
    page = Page(text)
    _assert_pngs(page, CHARTS)
    _assert_self_contained(text, page)
    assert "correlation" not in page.empty
    assert page.images[0]["alt"].endswith("lowest 95,800.00 USD")
    assert "3 approved and 1 rejected" in page.images[1]["alt"]

    approved = _count(
        ctx, audit.query_decisions, DecisionFilter(account="ftmo-1", status="approved")
    )
    rejected = _count(
        ctx, audit.query_decisions, DecisionFilter(account="ftmo-1", status="rejected")
    )
    assert (approved, rejected) == (3, 1)
    assert page.fields["decisions-approved"] == str(approved)
    assert page.fields["decisions-rejected"] == str(rejected)
    assert page.fields["decisions"] == str(approved + rejected)
    assert page.rows == {"approved": 3, "rejected": 1}

    assert risk.headroom is not None
    assert risk.floors is not None
    assert risk.floors.daily is not None
    assert page.fields["headroom-available"] == str(risk.headroom.available)
    assert page.fields["headroom-binding"] == risk.headroom.binding
    assert page.fields["headroom-reserved"] == str(risk.headroom.reserved)
    assert page.fields["daily-floor"] == str(risk.floors.daily)
    assert page.fields["max-loss-floor"] == str(risk.floors.max_loss)
    assert page.fields["floating-floor"] == ""  # FTMO has no floating-loss cap
    assert page.fields["equity"] == str(states[-1][0].equity) == "95800"
    assert page.fields["balance"] == str(states[-1][0].balance)
    assert page.fields["states"] == str(len(states)) == "6"
    assert page.fields["events"] == str(
        _count(ctx, audit.query_events, EventFilter(account="ftmo-1"))
    )
    assert page.fields["trading-status"] == "active"
    assert page.fields["rulebook"] == risk.rules.label

    # Text from the data is escaped: the reason comes back as text, not as a <b> element.
    assert "b" not in page.tags
    assert REASON in "".join(page.text)


def test_a_time_window_narrows_every_part(ctx: Context) -> None:
    _market(ctx)
    _history(ctx, clock_of(ctx))
    start, end = utc(2026, 6, 2, 9, 1), utc(2026, 6, 2, 9, 5)
    page = Page(compliance_report(ctx, "ftmo-1", start, end))
    states = account_service.state_history(ctx, "ftmo-1", start, end)
    decisions = DecisionFilter(account="ftmo-1", start=start, end=end)
    events = EventFilter(account="ftmo-1", start=start, end=end)
    assert page.fields["decisions"] == str(_count(ctx, audit.query_decisions, decisions)) == "2"
    assert page.fields["events"] == str(_count(ctx, audit.query_events, events)) == "2"
    # No state was pushed inside the window: the equity chart gives way to a sentence.
    assert page.fields["states"] == str(len(states)) == "0"
    assert "states" in page.empty
    _assert_pngs(page, CHARTS[1:])


def test_without_a_correlation_matrix_the_heat_map_is_a_sentence(ctx: Context) -> None:
    open_account(ctx, "fresh")
    push(ctx, "fresh", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    ask(ctx, "only", ["fresh"])  # no bars were ingested: no matrix exists
    page = Page(compliance_report(ctx, "fresh"))
    # One state and one decision: each chart has a single instant on its time axis.
    _assert_pngs(page, CHARTS[:3])
    assert "correlation" in page.empty
    assert page.fields["states"] == "1"
    assert page.fields["decisions"] == "1"


def test_an_account_without_data_renders(ctx: Context) -> None:
    open_account(ctx, "quiet", owner="bob")
    text = compliance_report(ctx, "quiet")
    page = Page(text)
    _assert_pngs(page, [])
    _assert_self_contained(text, page)
    assert page.empty >= {
        "state",
        "states",
        "decisions",
        "factors",
        "correlation",
        "decision-table",
    }
    assert page.fields["states"] == "0"
    assert page.fields["decisions-approved"] == page.fields["decisions-rejected"] == "0"
    assert page.fields["events"] == "1"  # account_opened
    assert page.fields["forced-enables"] == "0"
    assert page.fields["owner"] == "bob"
    assert "equity" not in page.fields
    assert "headroom-available" not in page.fields


def test_a_forced_re_enable_of_a_failed_account_stands_out(ctx: Context) -> None:
    open_account(ctx, "forced")
    push(ctx, "forced", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "forced", 100_000, 94_000, utc(2026, 6, 2, 8, 51))  # through the hard daily floor
    force = SetTrading(enabled=True, force=True, actor="desk", reason="the firm reversed it")
    account_service.set_trading(ctx, "forced", force)
    page = Page(compliance_report(ctx, "forced"))
    assert page.fields["forced-enables"] == "1"
    assert page.rows == {"forced": 1}
    assert "the firm reversed it" in page.text
    assert "enabled_forced" in page.text


def test_an_unknown_account_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFound):
        compliance_report(ctx, "nobody")


def test_the_rules_section_names_the_cash_flow_rule_and_its_sources(ctx: Context) -> None:
    open_account(ctx, "xfa", firm="topstep", plan="express-funded", phase="express-funded")
    text = compliance_report(ctx, "xfa")
    row = text.split('data-rule="cash_flows"', 1)[1].split("</tr>", 1)[0]
    assert "set to 0 after payout 1" in row
    assert "balance starts at 0" in row
    assert "fundedtraderfieldguide.pages.dev/rules/topstep-mll-after-first-payout" in row


def test_the_objectives_section_gives_the_figures_the_api_gives(ctx: Context) -> None:
    """FTMO 2-Step challenge 100k, target 10 %: trading profit 4,000 → 6,000 still to make,
    no trading day yet (no trades), not passed."""
    open_account(ctx, "goal")
    push(ctx, "goal", 104_000, 104_000, utc(2026, 6, 2, 8, 59))
    page = Page(compliance_report(ctx, "goal"))
    found = account_service.account_objectives(ctx, "goal")
    assert (found.target, found.profit, found.to_target) == (D(10_000), D(4_000), D(6_000))
    assert page.fields["objective-target"] == "10000"
    assert page.fields["trading-profit"] == "4000"
    assert page.fields["to-target"] == "6000"
    assert page.fields["trading-days"] == "0"
    assert page.fields["objectives-met"] == "False"
    assert "0 of 4" in page.text


POSITIONS = [
    {"id": "p1", "symbol": "EURUSD", "side": "long", "lots": "1", "entry": "1.1000",
     "stop": "1.0950", "take_profit": "1.1200", "price": "1.1010"},
    {"id": "p2", "symbol": "GBPUSD", "side": "short", "lots": "0.5", "entry": "1.2700",
     "stop": "1.2800", "price": "1.2690"},
    {"id": "p3", "symbol": "USDJPY", "side": "long", "lots": "2", "entry": "150.00",
     "stop": "149.00", "price": "150.20"},
]  # fmt: skip


def test_open_positions_add_up_to_the_open_risk(ctx: Context) -> None:
    """Each position's further loss to its stop, as the headroom valued it: their sum is the
    open risk of the headroom, on the page and through the service."""
    _market(ctx)
    open_account(ctx, "held")
    push(ctx, "held", 100_000, 99_900, utc(2026, 6, 2, 8, 59), POSITIONS)
    page = Page(compliance_report(ctx, "held"))
    risk = account_service.account_risk(ctx, "held")
    assert risk.headroom is not None
    losses = [D(page.fields[f"position-loss-{i}"]) for i in range(len(POSITIONS))]
    assert all(loss > 0 for loss in losses)
    assert sum(losses) == D(page.fields["positions-open-risk"])
    assert page.fields["positions-open-risk"] == page.fields["headroom-open-risk"]
    assert page.fields["headroom-open-risk"] == str(risk.headroom.open_risk)
    # EURUSD long 1 lot (100,000) from 1.1010 to 1.0950: 600 before costs.
    assert D(600) <= losses[0] < D(610)
    assert "EURUSD" in page.text
    assert "1.1200" in page.text


def test_a_position_without_a_stop_is_named_unbounded(ctx: Context) -> None:
    open_account(ctx, "loose")
    naked = {"id": "n1", "symbol": "EURUSD", "side": "long", "lots": "1", "entry": "1.1"}
    push(ctx, "loose", 100_000, 100_000, utc(2026, 6, 2, 8, 59), [naked])
    page = Page(compliance_report(ctx, "loose"))
    assert page.fields["position-loss-0"] == ""
    assert "unbounded: no stop" in page.text
    assert page.fields["headroom-available"] == "0"


def test_no_position_is_a_sentence(ctx: Context) -> None:
    open_account(ctx, "flat")
    push(ctx, "flat", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    page = Page(compliance_report(ctx, "flat"))
    assert "positions" in page.empty
    assert "position-loss-0" not in page.fields


def test_objectives_show_progress_bars_with_their_figures(ctx: Context) -> None:
    """FTMO 2-Step challenge 100k: 4,000 of the 10,000 target is 40 %; 0 of 4 trading days."""
    open_account(ctx, "goal")
    push(ctx, "goal", 104_000, 104_000, utc(2026, 6, 2, 8, 59))
    page = Page(compliance_report(ctx, "goal"))
    assert page.fields["target-progress"] == "40.0"
    assert page.bars["target-progress"]["value"] == "40.0"
    assert page.bars["target-progress"]["max"] == "100"
    assert page.fields["days-progress"] == "0"
    assert page.bars["days-progress"]["max"] == "4"
    assert "4,000.00 of 10,000.00 (40.0 %)" in "".join(page.text)
    assert "time-progress" not in page.fields  # FTMO's 2-Step has no time limit


def test_the_time_limit_bar_counts_from_the_phase_start(ctx: Context) -> None:
    """Apex evaluation: 30 calendar days from the opening; 6 days on, 20 % is used."""
    open_account(ctx, "eval", firm="apex", plan="eod-trail", phase="evaluation", size=50_000)
    clock_of(ctx).move_to("2026-06-08 09:00:00")
    page = Page(compliance_report(ctx, "eval"))
    assert page.fields["time-progress"] == "20.0"
    assert "24 days 0 hours left (20.0 % used)" in "".join(page.text)


def test_the_best_day_bar_runs_against_its_cap(ctx: Context) -> None:
    """Apex PA, best day at most 30 % of total profit: 2,000 of 3,600 is 55.56 %, over."""
    open_account(ctx, "pa", firm="apex", plan="pa", phase="pa", size=50_000)
    clock_of(ctx).move_to("2026-06-04 11:00:00")
    trades = [
        {"id": f"t{day}", "symbol": "MES", "side": "long", "lots": "1", "entry": "5400",
         "exit": "5410", "pnl": str(pnl), "opened_at": f"2026-06-0{day}T15:00:00Z",
         "closed_at": f"2026-06-0{day}T15:30:00Z"}
        for day, pnl in ((2, 2_000), (3, 1_600))
    ]  # fmt: skip
    account_service.record_trades(ctx, "pa", RecordTrades.model_validate({"trades": trades}))
    push(ctx, "pa", 53_600, 53_600, utc(2026, 6, 4, 10))
    page = Page(compliance_report(ctx, "pa"))
    (rule,) = account_service.account_objectives(ctx, "pa").consistency
    assert page.fields["best-day-share-0"] == str(rule.share_pct)
    assert rule.share_pct is not None
    assert round(rule.share_pct, 2) == D("55.56")
    assert page.bars["best-day-share-0"]["max"] == "30"
    assert page.bars["best-day-share-0"]["value"] == "30"  # the bar stops at the cap
    assert "55.56 % of total profit against a cap of 30 %" in "".join(page.text)


def test_the_period_is_the_account_s_life_and_the_phase_is_shown_apart(ctx: Context) -> None:
    """Opened at 09:00, two states, promoted at 10:00, one state: the period runs from the
    opening to now; the phase section counts from the promotion."""
    open_account(ctx, "life")
    clock_of(ctx).move_to("2026-06-02 09:30:00")
    push(ctx, "life", 100_000, 100_000, utc(2026, 6, 2, 9, 10))
    push(ctx, "life", 110_500, 110_500, utc(2026, 6, 2, 9, 20))
    clock_of(ctx).move_to("2026-06-02 10:00:00")
    account_service.promote(ctx, "life", Promote(actor="desk", reason="passed"))
    clock_of(ctx).move_to("2026-06-02 10:30:00")
    push(ctx, "life", 100_000, 100_200, utc(2026, 6, 2, 10, 20))
    clock_of(ctx).move_to("2026-06-02 11:00:00")
    page = Page(compliance_report(ctx, "life"))
    assert page.fields["start"] == str(utc(2026, 6, 2, 9))
    assert page.fields["end"] == str(utc(2026, 6, 2, 11))
    assert page.fields["states"] == "3"
    assert page.fields["phase"] == "verification"
    assert page.fields["phase-start"] == str(utc(2026, 6, 2, 10))
    assert page.fields["phase-states"] == "1"
    assert page.fields["phase-equity-change"] == "0"
    # --from narrows the period: only the phase's state is left.
    narrowed = Page(compliance_report(ctx, "life", utc(2026, 6, 2, 10, 5)))
    assert narrowed.fields["start"] == str(utc(2026, 6, 2, 10, 5))
    assert narrowed.fields["states"] == "1"
