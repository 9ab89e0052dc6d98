"""Shared fixtures: the loaded catalog, aware-datetime helpers, hypothesis profiles."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, settings

from firms.catalog import Catalog, load_catalog

settings.register_profile("default", deadline=None, max_examples=100)
settings.register_profile(
    "ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


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
