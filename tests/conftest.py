"""Shared fixtures: the loaded catalog and the hypothesis profiles (builders live in
``tests.builders``, strategies in ``tests.strategies``, clocks in ``tests.clocks``)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from firms.catalog import Catalog, load_catalog
from tests.clocks import START, SettableClock

settings.register_profile("default", deadline=None, max_examples=100)
settings.register_profile(
    "ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
# Mutation runs (``python -m tests.mutation``): few, reproducible examples per mutant.
settings.register_profile(
    "mutation",
    deadline=None,
    max_examples=10,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def clock() -> SettableClock:
    """A clock for code that takes one: it stands at ``START`` until the test moves it."""
    return SettableClock(START)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The built-in catalog, loaded once."""
    return load_catalog()


_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count passed tests, so that a CI run where everything was skipped fails."""
    global _passed
    if report.when == "call" and report.passed:
        _passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (``ARIA_CI=1``), a run in which no test passed is a failure."""
    if os.environ.get("ARIA_CI") and exitstatus == 0 and _passed == 0:
        session.exitstatus = 1
