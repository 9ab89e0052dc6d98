from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from firms.floors import Floors
from firms.headroom import OpenRisk, Reservation, headroom
from tests.builders import utc

D = Decimal
NOW = utc(2026, 6, 2, 9)
FTMO = Floors(daily=D(96_000), max_loss=D(90_000), floating=None)


def test_ftmo_worked_example() -> None:
    # Equity 100,200; open positions that would lose 1,500 more at their stops; a live
    # reservation of 500; no buffer.
    room = headroom(
        FTMO,
        D(100_200),
        open_risk=[OpenRisk("p1", D(1_000)), OpenRisk("p2", D(500))],
        reservations=[Reservation("d1", D(500), expires_at=utc(2026, 6, 2, 9, 5))],
        now=NOW,
    )
    assert room.available == D(2_200)
    assert room.binding == "daily_loss"
    assert room.distances == {"daily_loss": D(4_200), "max_loss": D(10_200)}
    assert (room.open_risk, room.reserved, room.buffer) == (D(1_500), D(500), D(0))


def test_expired_reservations_do_not_count() -> None:
    room = headroom(
        FTMO, D(100_200), reservations=[Reservation("d1", D(500), expires_at=NOW)], now=NOW
    )
    assert room.available == D(4_200)


def test_buffer_and_the_max_loss_floor_can_bind() -> None:
    floors = Floors(daily=None, max_loss=D(48_500), floating=None)
    room = headroom(floors, D(50_000), now=NOW, buffer=D(100))
    assert room.binding == "max_loss"
    assert room.available == D(1_400)


def test_a_position_without_a_stop_consumes_all_headroom() -> None:
    room = headroom(FTMO, D(100_200), open_risk=[OpenRisk("naked", None)], now=NOW)
    assert room.available == 0
    assert room.exhausted
    assert room.unbounded == ("naked",)


def test_headroom_never_goes_negative() -> None:
    room = headroom(FTMO, D(95_900), now=NOW)
    assert room.available == 0
    assert room.distances["daily_loss"] == D(-100)


def test_floating_loss_floor_counts() -> None:
    floors = Floors(daily=D(97_000), max_loss=D(95_000), floating=D(99_000))  # balance 100k, cap 1%
    room = headroom(floors, D(99_800), now=NOW)
    assert room.binding == "floating_loss"
    assert room.available == D(800)


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="buffer"):
        headroom(FTMO, D(100_000), now=NOW, buffer=D(-1))
    with pytest.raises(ValueError, match="negative"):
        OpenRisk("p", D(-1))
    with pytest.raises(ValueError, match="negative"):
        Reservation("d", D(-1))


def test_zero_risk_and_zero_reservations_are_accepted_and_a_reservation_lives_until_it_expires() -> (
    None
):
    expires = utc(2026, 6, 2, 9, 5)
    reservation = Reservation("d0", D(0), expires_at=expires)
    assert reservation.live(expires - dt.timedelta(microseconds=1))
    assert not reservation.live(expires)
    room = headroom(
        FTMO, D(100_200), open_risk=[OpenRisk("flat", D(0))], reservations=[reservation], now=NOW
    )
    assert (room.open_risk, room.reserved, room.available) == (D(0), D(0), D(4_200))


def test_headroom_exactly_used_up_is_an_exact_zero_and_exhausted() -> None:
    room = headroom(FTMO, D(100_200), open_risk=[OpenRisk("p1", D("4200.00"))], now=NOW)
    assert room.available == 0
    assert str(room.available) == "0"  # not 0.00
    assert room.exhausted
    one_cent = headroom(FTMO, D(100_200), open_risk=[OpenRisk("p1", D("4199.99"))], now=NOW)
    assert one_cent.available == D("0.01")
    assert not one_cent.exhausted
