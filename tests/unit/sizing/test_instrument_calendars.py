"""Every instrument names its trading calendar; a user file may set or override it."""

from __future__ import annotations

from pathlib import Path

import pytest

from aria.sizing.errors import InstrumentFileError
from aria.sizing.instruments import Instrument, calendar_of, load_instruments


def test_the_shipped_instruments_name_their_calendars() -> None:
    found = load_instruments()
    assert {s: calendar_of(found.get(s)) for s in ("EURUSD", "XAUUSD", "US500", "BTCUSD")} == {
        "EURUSD": "fx_24_5",
        "XAUUSD": "fx_24_5",
        "US500": "fx_24_5",
        "BTCUSD": "always",
    }
    futures = ("ES", "MES", "NQ", "CL", "MCL", "GC", "MGC")
    assert [calendar_of(found.get(s)) for s in futures] == [
        "cme_equity",
        "cme_equity",
        "cme_equity",
        "cme_energy",
        "cme_energy",
        "cme_metals",
        "cme_metals",
    ]


def test_an_instrument_without_one_takes_its_asset_classs_default() -> None:
    base = {
        "symbol": "ZC",
        "kind": "future",
        "asset_class": "commodity",
        "quote": "USD",
        "contract_size": 50,
        "tick_size": 0.25,
        "lot_step": 1,
        "min_lot": 1,
        "max_lot": 10,
        "margin_rate": 0.05,
    }
    assert calendar_of(Instrument.model_validate(base)) == "cme_agriculture"
    cfd = {**base, "symbol": "CORN", "kind": "cfd"}
    assert calendar_of(Instrument.model_validate(cfd)) == "fx_24_5"
    # Left out of the stored form while unset, so recorded instruments keep their hash.
    assert "calendar" not in Instrument.model_validate(base).model_dump()


def test_a_user_file_overrides_a_calendar_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[[instruments]]\nsymbol = "US500"\ngroup = "index_cfd"\nquote = "USD"\n'
        'calendar = "cme_equity"\n'
    )
    assert calendar_of(load_instruments([good]).get("US500")) == "cme_equity"
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[instruments]]\nsymbol = "US500"\ngroup = "index_cfd"\nquote = "USD"\ncalendar = "lse"\n'
    )
    with pytest.raises(InstrumentFileError, match="field calendar: unknown calendar 'lse'"):
        load_instruments([bad])
