"""Fixtures of the sizing tests: the built-in catalogs (builders live in ``tests.builders``)."""

from __future__ import annotations

import pytest

from aria.sizing.instruments import InstrumentCatalog
from firms.catalog import Catalog
from tests.builders import CATALOG, INSTRUMENTS


@pytest.fixture(scope="session")
def instruments() -> InstrumentCatalog:
    """The built-in instruments."""
    return INSTRUMENTS


@pytest.fixture(scope="session")
def builtin_catalog() -> Catalog:
    """The built-in firm catalog."""
    return CATALOG
