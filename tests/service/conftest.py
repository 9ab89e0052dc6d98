"""Service tests run on the in-memory unit of work (``tests.fakes``) and a clock that moves
only when a test moves it: no database, no freezing of the interpreter's time."""

from __future__ import annotations

import pytest

from aria.service.context import Context
from tests.clocks import SettableClock
from tests.fakes import FakeStore, fake_context


@pytest.fixture
def clock() -> SettableClock:
    """The service's clock, standing at 2026-06-02 09:00 UTC until a test moves it."""
    return SettableClock("2026-06-02T09:00:00Z")


@pytest.fixture
def store() -> FakeStore:
    """The in-memory database the context writes to."""
    return FakeStore()


@pytest.fixture
def ctx(clock: SettableClock, store: FakeStore) -> Context:
    """The service context over ``store`` and ``clock``."""
    return fake_context(clock, store=store)[0]
