"""Fixtures of the sizing tests; the builders they use live in ``builders.py``."""

from __future__ import annotations

import pytest

from aria.sizing.instruments import InstrumentCatalog
from firms.catalog import Catalog
from tests.unit.sizing.builders import CATALOG, INSTRUMENTS


@pytest.fixture(scope="session")
def instruments() -> InstrumentCatalog:
    """The built-in instruments."""
    return INSTRUMENTS


@pytest.fixture(scope="session")
def builtin_catalog() -> Catalog:
    """The built-in firm catalog."""
    return CATALOG
