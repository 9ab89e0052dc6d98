"""The report's open positions always add up to the headroom's open risk: each row is the
further loss the headroom counted for that position, and nothing else."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aria.reports.compliance import positions_section
from aria.service import accounts as account_service
from tests.builders import open_account, push, utc
from tests.fakes import fake_context

D = Decimal
MARKETS = {"EURUSD": D("1.1000"), "GBPUSD": D("1.2700")}


class _Fields(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-field" in found:
            self.fields[found["data-field"] or ""] = found.get("data-value") or ""


@st.composite
def _position(draw: st.DrawFn, index: int) -> dict[str, Any]:
    symbol = draw(st.sampled_from(sorted(MARKETS)))
    side = draw(st.sampled_from(["long", "short"]))
    sign = 1 if side == "long" else -1
    entry = MARKETS[symbol]
    pip = D("0.0001")
    price = entry + pip * draw(st.integers(-40, 40))
    position: dict[str, Any] = {
        "id": f"p{index}",
        "symbol": symbol,
        "side": side,
        "lots": str(D(draw(st.integers(1, 500))) / 100),
        "entry": str(entry),
        "price": str(price),
    }
    # A stop below a long's price (above a short's), a few pips to two hundred away.
    position["stop"] = str(price - sign * pip * draw(st.integers(5, 200)))
    return position


@st.composite
def _book(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 6))
    return [draw(_position(i)) for i in range(count)]


@settings(max_examples=60, deadline=None)
@given(book=_book())
def test_the_positions_of_the_report_add_up_to_the_headroom_s_open_risk(
    book: list[dict[str, Any]],
) -> None:
    ctx = fake_context()[0]
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59), book)
    risk = account_service.account_risk(ctx, "a")
    assert risk.headroom is not None
    fields = _Fields(positions_section(risk)).fields
    losses = [D(fields[f"position-loss-{i}"]) for i in range(len(book))]
    assert sum(losses) == risk.headroom.open_risk == D(fields["positions-open-risk"])
    assert [h.position.id for h in risk.held] == [p["id"] for p in book]
    assert all(loss > 0 for loss in losses)
