from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aria.sizing.errors import InstrumentFileError, UnknownInstrument
from aria.sizing.instruments import (
    InstrumentCatalog,
    conversion_rate,
    load_instruments,
    loss_per_lot,
    notional_per_lot,
)
from tests.builders import run, scenario

D = Decimal


def test_eurusd_fifty_pips_on_a_usd_account_is_500_per_lot(instruments: InstrumentCatalog) -> None:
    assert loss_per_lot(instruments.get("EURUSD"), D("1.1000"), D("1.0950"), "USD", {}) == D(500)


def test_usdjpy_converts_through_the_usdjpy_rate(instruments: InstrumentCatalog) -> None:
    usdjpy = instruments.get("USDJPY")
    # 50 pips = 0.50 JPY per unit × 100,000 = 50,000 JPY; at 150.00 that is 333.33 USD.
    quoted = loss_per_lot(usdjpy, D("150.50"), D("150.00"), "USD", {"USDJPY": D(150)})
    assert quoted is not None
    assert quoted.quantize(D("0.0001")) == D("333.3333")
    # Without a quoted rate the pair's price at the stop is the rate (where the loss is realised).
    own = loss_per_lot(usdjpy, D("150.50"), D("150.00"), "USD", {})
    assert own is not None
    assert own.quantize(D("0.0001")) == D("333.3333")
    assert notional_per_lot(usdjpy, D(150), "USD", {}) == D(100_000)


def test_a_pair_whose_base_is_the_account_currency_converts_at_the_stop_price(
    instruments: InstrumentCatalog,
) -> None:
    # Long USDJPY at 150.00 with a stop at 100.00: the 50 JPY a unit is realised at 100.00, so
    # it costs 50,000 USD a lot, not 33,333 at today's quoted 150.00 (which once let a wide
    # stop lose more than the room it was sized for).
    usdjpy = instruments.get("USDJPY")
    quoted = {"USDJPY": D(150)}
    assert loss_per_lot(usdjpy, D(150), D(100), "USD", quoted) == D(5_000_000) / D(100)
    usdcad = instruments.get("USDCAD")
    loss = loss_per_lot(usdcad, D("1.40"), D("1.20"), "USD", {"USDCAD": D("1.40")})
    assert loss is not None
    assert loss.quantize(D("0.01")) == D("16666.67")  # 20,000 CAD at 1.20, not at 1.40


def test_metals_and_futures_by_tick_value(instruments: InstrumentCatalog) -> None:
    xau = instruments.get("XAUUSD")
    assert xau.tick_value == D("1.00")
    assert loss_per_lot(xau, D(2400), D(2390), "USD", {}) == D(1000)
    es, mes = instruments.get("ES"), instruments.get("MES")
    assert (es.tick_value, mes.tick_value) == (D("12.50"), D("1.25"))
    assert loss_per_lot(es, D(5000), D("4990"), "USD", {}) == D(500)  # 40 ticks × 12.50
    assert loss_per_lot(mes, D(5000), D("4990"), "USD", {}) == D(50)
    assert mes.is_micro
    assert mes.micro_of == "ES"


def test_cross_needs_the_quote_currency_rate(instruments: InstrumentCatalog) -> None:
    eurgbp = instruments.get("EURGBP")
    assert loss_per_lot(eurgbp, D("0.8500"), D("0.8450"), "USD", {}) is None
    assert loss_per_lot(eurgbp, D("0.8500"), D("0.8450"), "USD", {"GBPUSD": D("1.27")}) == D(
        500
    ) * D("1.27")
    assert loss_per_lot(eurgbp, D("0.8500"), D("0.8450"), "USD", {"USDGBP": D("0.8")}) == D(
        500
    ) / D("0.8")


def test_conversion_rate_direct_inverse_and_missing() -> None:
    assert conversion_rate("EUR", "EUR", {}) == 1
    assert conversion_rate("GBP", "USD", {"GBPUSD": D(2)}) == 2
    assert conversion_rate("USD", "GBP", {"GBPUSD": D(2)}) == D("0.5")
    assert conversion_rate("CHF", "USD", {"GBPUSD": D(2)}) is None


def test_a_eurgbp_trade_on_a_usd_account_is_rejected_without_gbpusd() -> None:
    document = scenario(
        instrument="EURGBP",
        request={"symbol": "EURGBP", "side": "long", "entry": "0.85", "stop": "0.845"},
    )
    decision = run(document)
    assert decision.status == "rejected"
    assert decision.reject_codes == ["missing_conversion_rate"]
    assert decision.lots == 0
    document["market"] = {"rates": {"GBPUSD": "1.27"}}
    assert run(document).approved


def test_unknown_instrument(instruments: InstrumentCatalog) -> None:
    with pytest.raises(UnknownInstrument, match="NOPE"):
        instruments.get("NOPE")


def test_user_instrument_files_add_and_override(tmp_path: Path) -> None:
    path = tmp_path / "broker.toml"
    path.write_text(
        '[[instruments]]\nsymbol = "US500"\ngroup = "index_cfd"\nquote = "USD"\n'
        "contract_size = 10\n\n"
        '[[instruments]]\nsymbol = "GBPNZD"\ngroup = "fx"\nbase = "GBP"\nquote = "NZD"\n'
    )
    catalog = load_instruments([path])
    assert catalog.get("US500").contract_size == 10
    assert catalog.get("GBPNZD").lot_step == D("0.01")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'symbol = "X"\ngroup = "fx"\nquote = "USD"\ntick_size = -1',
            "field tick_size: must be greater than zero",
        ),
        ('symbol = "X"\ngroup = "nope"\nquote = "USD"', "unknown group 'nope'"),
        (
            'symbol = "X"\ngroup = "fx"\nquote = "USD"\nlot_size = 1',
            "field lot_size: unknown field",
        ),
        (
            'symbol = "X"\ngroup = "fx"\nquote = "USD"\nmin_lot = 0.015',
            "not a multiple of lot_step",
        ),
    ],
)
def test_broken_instrument_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[[instruments]]\n{body}\n")
    with pytest.raises(InstrumentFileError) as raised:
        load_instruments([path])
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_every_builtin_instrument_is_consistent(instruments: InstrumentCatalog) -> None:
    expected = {
        "EURUSD",
        "GBPUSD",
        "USDJPY",
        "EURGBP",
        "XAUUSD",
        "XAGUSD",
        "US500",
        "ES",
        "NQ",
        "MES",
        "MNQ",
        "CL",
        "GC",
        "BTCUSD",
        "ETHUSD",
    }
    assert expected <= set(instruments.instruments)
    for instrument in instruments.instruments.values():
        assert instrument.min_lot % instrument.lot_step == 0
        if instrument.micro_of:
            assert instrument.micro_of in instruments.instruments
