"""The calendar over HTTP and in the database: releases stored once, the news gate over the API,
and the news_ahead job writing one event per account and release with two schedulers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from aria.audit.filters import EventFilter
from aria.service import calendar
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context
from tests.e2e.clients import Api, opened

RELEASES: list[dict[str, Any]] = [
    {"at": "2026-06-02T09:01:00Z", "currency": "USD", "impact": "high", "title": "ISM PMI"},
    {"at": "2026-06-02T09:01:00Z", "country": "JP", "impact": "high", "title": "BoJ Speaks"},
]


def test_an_admin_stores_releases_once_and_a_reader_lists_them(api: Api) -> None:
    body = {"events": RELEASES}
    first = api.client.post("/v1/calendar/events", json=body, headers=api.admin)
    assert first.status_code == 200, first.text
    assert first.json() == {"read": 2, "added": 2}
    again = api.client.post("/v1/calendar/events", json=body, headers=api.admin)
    assert again.json() == {"read": 2, "added": 0}
    assert api.client.post("/v1/calendar/events", json=body, headers=api.alice).status_code == 403
    assert api.client.post("/v1/calendar/events", json=body, headers=api.sizer).status_code == 403
    listed = api.client.get(
        "/v1/calendar/events", params={"start": "2026-06-02T00:00:00Z"}, headers=api.reader
    )
    assert listed.status_code == 200, listed.text
    assert sorted(e["currency"] for e in listed.json()) == ["JPY", "USD"]


def test_a_bad_release_is_refused_with_its_field(api: Api) -> None:
    bad = {"events": [{**RELEASES[0], "impact": "huge"}]}
    answer = api.client.post("/v1/calendar/events", json=bad, headers=api.admin)
    assert answer.status_code == 422


def test_the_funded_account_is_refused_inside_the_window_over_http(api: Api) -> None:
    # The clock stands at 09:00:00; the USD release at 09:01:00 puts FTMO funded's window at
    # [08:59:00, 09:03:00]: the funded account is refused, the challenge one is not.
    opened(api, "funded-1", phase="funded")
    opened(api, "challenge-1")
    api.client.post("/v1/calendar/events", json={"events": RELEASES}, headers=api.admin)
    signal = {"symbol": "EURUSD", "side": "long", "entry": "1.1000", "stop": "1.0950"}
    answer = api.client.post(
        "/v1/sizing",
        json={"request_id": "news-1", "accounts": ["funded-1", "challenge-1"], **signal},
        headers=api.admin,
    )
    assert answer.status_code == 200, answer.text
    decisions = {d["account_id"]: d for d in answer.json()["decisions"]}
    assert decisions["funded-1"]["reject_codes"] == ["news_window"]
    assert decisions["challenge-1"]["status"] == "approved"


def test_two_schedulers_write_one_news_event_per_account_and_release(
    database: tuple[str, Engine], clock: SettableClock
) -> None:
    _, engine = database
    one, two = make_context(engine, clock=clock), make_context(engine, clock=clock)
    clock.move_to("2026-06-02T08:45:00Z")
    open_account(one, "funded", phase="funded")
    open_account(one, "challenge")
    push(one, "funded", 100_000, 100_000, utc(2026, 6, 2, 8, 44))
    calendar.import_text(
        one, "time,currency,impact,title\n2026-06-02T09:01:00Z,USD,high,ISM PMI\n", "a.csv"
    )
    written = [calendar.news_ahead(one), calendar.news_ahead(two), calendar.news_ahead(one)]
    assert sum(done for done, _ in written) == 1  # the funded account, one release
    with two.unit() as uow:
        found = uow.audit.events(EventFilter(kind="news_ahead"), None, 10)
    assert [e.account_id for e in found] == ["funded"]
    assert found[0].detail["window_start"] == "2026-06-02T08:59:00+00:00"


def test_the_headroom_names_the_next_news_window(api: Api) -> None:
    opened(api, "funded-2", phase="funded")
    opened(api, "challenge-2")
    api.client.post("/v1/calendar/events", json={"events": RELEASES}, headers=api.admin)
    funded = api.client.get("/v1/accounts/funded-2/headroom", headers=api.reader).json()
    # Both releases are at 09:01; the window of either is [08:59:00, 09:03:00].
    window = funded["news_window"]
    assert window["start"] == "2026-06-02T08:59:00Z"
    assert window["end"] == "2026-06-02T09:03:00Z"
    assert window["effect"] == "breach"
    challenge = api.client.get("/v1/accounts/challenge-2/headroom", headers=api.reader).json()
    assert challenge["news_window"] is None
