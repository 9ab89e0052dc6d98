"""The fan-out's float64 helpers: factors over columns, and where float64 cannot decide.

Every float the fan-out compares is an exact decimal rounded once and then a handful of
products and quotients (see :mod:`aria.sizing.batch`), so a relative ``TOLERANCE`` of 1e-12
marks the values too close to a turning point to trust; those accounts go to ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aria.sizing.limits.base import Floats, Mask
from aria.sizing.profiles import Step

TOLERANCE = 1e-12  # a hundredfold the float64 error bound of the fan-out's amounts


def combine_columns(values: list[Floats], product: bool, size: int) -> Floats:
    """``combine`` over columns; NaN marks a factor an account does not have."""
    if product:
        result = np.ones(size)
        for value in values:
            result = result * np.where(np.isnan(value), 1.0, value)
        return result
    result = np.full(size, np.inf)
    for value in values:
        result = np.minimum(result, np.where(np.isnan(value), np.inf, value))
    return np.where(np.isinf(result), 1.0, result)


def ladder_column(ladder: Sequence[Step], values: Floats) -> Floats:
    """``profiles.ladder_factor`` over a column."""
    levels = np.array([float(step.at_least) for step in ladder])
    factors = np.array([float(step.factor) for step in ladder])
    chosen = np.searchsorted(levels, values, side="right") - 1
    return np.asarray(factors[np.clip(chosen, 0, None)], dtype=np.float64)


def near(a: Floats, b: Floats) -> Mask:
    """Where ``a`` and ``b`` are too close for float64 to say which is larger."""
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(a), np.abs(b))
        return np.isfinite(scale) & (np.abs(a - b) <= TOLERANCE * scale)
