"""The economic calendar in the service: imports whole or not at all, each release once; sizing
reads the releases near now; the news_ahead job writes one event per account per release."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import calendar
from aria.service.commands import RecordTrades
from aria.service.context import Context
from aria.service.errors import InvalidInput
from aria.sizing.decision import RejectCode
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.fakes import FakeStore

D = Decimal

NOW = "2026-06-02T12:28:00Z"
# A high-impact USD release at 12:30 UTC: FTMO funded's window is [12:28:00, 12:32:00].
CSV = """time,currency,impact,title
2026-06-02T12:30:00Z,USD,high,ISM Manufacturing PMI
2026-06-02T12:30:00Z,JPY,high,BoJ Governor Speaks
"""


_TRADE = {
    "symbol": "EURUSD",
    "side": "long",
    "lots": "1",
    "entry": "1.1",
    "exit": "1.2",
    "closed_at": "2026-06-02T12:50:00Z",
}


@pytest.fixture
def clock() -> SettableClock:
    """Two minutes before the release."""
    return SettableClock(NOW)


def _accounts(ctx: Context) -> None:
    open_account(ctx, "funded", phase="funded")
    open_account(ctx, "challenge")
    for account_id in ("funded", "challenge"):
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 12, 27))


def _news_events(ctx: Context) -> list[object]:
    with ctx.unit() as uow:
        return list(uow.audit.events(EventFilter(kind="news_ahead"), None, 100))


def test_an_import_stores_each_release_once(ctx: Context, store: FakeStore) -> None:
    first = calendar.import_text(ctx, CSV, "week.csv")
    again = calendar.import_text(ctx, CSV, "week.csv")
    assert (first.read, first.added) == (2, 2)
    assert (again.read, again.added) == (2, 0)
    assert store.count("calendar") == 2


def test_a_broken_file_is_refused_whole_with_its_line(ctx: Context, store: FakeStore) -> None:
    broken = CSV + "2026-06-02T14:00:00Z,USD,high,\n"
    with pytest.raises(InvalidInput, match=r"week.csv: line 4: title"):
        calendar.import_text(ctx, broken, "week.csv")
    assert store.count("calendar") == 0  # the two good lines were not imported either


def test_sizing_refuses_the_funded_account_inside_the_window(ctx: Context) -> None:
    _accounts(ctx)
    calendar.import_text(ctx, CSV, "week.csv")
    result = ask(
        ctx, "eurusd-1", ["funded", "challenge"], symbol="EURUSD", entry="1.1000", stop="1.0950"
    )
    decisions = {d.decision.account_id: d.decision for d in result.decisions}
    assert decisions["funded"].reject_codes == [RejectCode.NEWS_WINDOW]
    assert any(
        "'ISM Manufacturing PMI' at 2026-06-02T12:30:00+00:00" in r
        for r in decisions["funded"].reasons
    )
    assert decisions["challenge"].approved


def test_sizing_records_the_releases_it_decided_by(ctx: Context) -> None:
    _accounts(ctx)
    calendar.import_text(ctx, CSV, "week.csv")
    ask(ctx, "eurusd-2", ["funded", "challenge"], symbol="EURUSD", entry="1.1000", stop="1.0950")
    with ctx.unit() as uow:
        funded = uow.audit.decisions_of("funded")[-1].inputs
        challenge = uow.audit.decisions_of("challenge")[-1].inputs
    assert funded is not None
    assert challenge is not None
    # FTMO funded counts both high-impact releases (the JPY one touches other pairs); the
    # challenge has no news rule, so its inputs hold none and hash as before.
    assert [e["currency"] for e in funded["news"]] == ["JPY", "USD"]
    assert "news" not in challenge


def test_news_ahead_writes_one_event_per_account_per_release(
    ctx: Context, clock: SettableClock
) -> None:
    _accounts(ctx)
    calendar.import_text(ctx, CSV, "week.csv")
    clock.move_to("2026-06-02T12:00:00Z")  # windows start at 12:28, within the 30-minute lead
    assert calendar.news_ahead(ctx) == (2, 0)  # the funded account, two releases
    assert calendar.news_ahead(ctx) == (0, 2)  # run again: nothing written twice
    found = _news_events(ctx)
    assert len(found) == 2
    assert {e.account_id for e in found} == {"funded"}  # type: ignore[attr-defined]


def test_news_ahead_waits_for_the_lead_time(ctx: Context, clock: SettableClock) -> None:
    _accounts(ctx)
    calendar.import_text(ctx, CSV, "week.csv")
    clock.move_to("2026-06-02T11:57:59Z")  # 30 min 1 s before 12:28:00
    assert calendar.news_ahead(ctx) == (0, 0)


def test_the_directory_job_imports_each_file_once(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "week.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "bad.csv").write_text("time,currency\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a calendar", encoding="utf-8")
    first = calendar.import_directory(ctx, tmp_path)
    again = calendar.import_directory(ctx, tmp_path)
    assert isinstance(first[1], calendar.Imported)
    assert first[1].added == 2
    assert isinstance(again[1], calendar.Imported)
    assert again[1].added == 0
    assert isinstance(first[0], str)
    assert "bad.csv: line 1" in first[0]


def test_the_next_window_of_an_account(ctx: Context) -> None:
    _accounts(ctx)
    calendar.import_text(ctx, CSV, "week.csv")
    with ctx.unit() as uow:
        funded = uow.accounts.get("funded")
        challenge = uow.accounts.get("challenge")
    assert funded is not None
    assert challenge is not None
    found = calendar.next_window(ctx, funded, utc(2026, 6, 2, 9))
    assert found is not None
    assert found.start == utc(2026, 6, 2, 12, 28)
    assert calendar.next_window(ctx, challenge, utc(2026, 6, 2, 9)) is None
    after = calendar.next_window(ctx, funded, utc(2026, 6, 2, 12, 32) + dt.timedelta(seconds=1))
    assert after is None


def test_news_ahead_still_warns_inside_an_open_window_but_not_after(
    ctx: Context, clock: SettableClock
) -> None:
    _accounts(ctx)
    calendar.import_text(ctx, CSV, "week.csv")
    clock.move_to("2026-06-02T12:32:01Z")  # one second after the windows [12:28, 12:32] end
    assert calendar.news_ahead(ctx) == (0, 0)
    clock.move_to("2026-06-02T12:32:00Z")  # their last instant
    assert calendar.news_ahead(ctx) == (2, 0)


def test_profit_the5ers_deducts_around_a_release_lowers_progress(
    ctx: Context, clock: SettableClock
) -> None:
    """The5ers High Stakes phase 1 (100k, target 8,000): ±2 minutes around the 12:30 USD
    release, profit of a trade opened or closed inside is deducted. EURUSD opened 12:29 (+500)
    is inside; EURUSD opened 12:35 (+200) is not. Balance 100,700: profit 700 − 500 = 200,
    8,000 − 200 = 7,800 to go."""
    open_account(ctx, "t5", firm="the5ers", plan="high-stakes", phase="phase-1")
    calendar.import_text(ctx, CSV, "week.csv")
    clock.move_to("2026-06-02T13:00:00Z")
    trades = [
        {**_TRADE, "id": "in", "pnl": "500", "opened_at": "2026-06-02T12:29:00Z"},
        {**_TRADE, "id": "out", "pnl": "200", "opened_at": "2026-06-02T12:35:00Z"},
    ]
    account_service.record_trades(ctx, "t5", RecordTrades.model_validate({"trades": trades}))
    push(ctx, "t5", 100_700, 100_700, utc(2026, 6, 2, 12, 51))
    found = account_service.account_objectives(ctx, "t5")
    assert (found.news_excluded, found.profit, found.to_target) == (D(500), D(200), D(7_800))
    assert [e.trade.id for e in found.news] == ["in"]
    assert "ISM Manufacturing PMI" in found.news[0].describe()
