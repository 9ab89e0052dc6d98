"""Personality: an account's own declared risk multiplier, constant for its life.

A personality is either declared by the operator (e.g. 0.87 or 1.12) or, when asked for,
drawn once from a generator seeded with the account id inside a band (default 5–15 % away
from 1) and then stored. It is never redrawn per trade: sizes differ between accounts
because each account's declared risk budget differs, and the audit trail says so.
"""

from __future__ import annotations

import hashlib
import random
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from accounts.money import ONE, PositiveDecimal

DEFAULT_BAND = (Decimal("0.05"), Decimal("0.15"))
MULTIPLIER_LIMITS = (Decimal("0.5"), Decimal("1.5"))
_QUANTUM = Decimal("0.0001")


class Appetite(StrEnum):
    """A readable label for the direction of the multiplier."""

    CONSERVATIVE = "conservative"
    NEUTRAL = "neutral"
    AGGRESSIVE = "aggressive"


class PersonalitySource(StrEnum):
    """Where the multiplier came from."""

    NEUTRAL = "neutral"
    DECLARED = "declared"
    SEEDED = "seeded"


class Personality(BaseModel):
    """A constant risk multiplier with its appetite label and provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    multiplier: PositiveDecimal = ONE
    source: PersonalitySource = PersonalitySource.NEUTRAL
    seed: str | None = None
    band_low: Decimal | None = None
    band_high: Decimal | None = None

    @model_validator(mode="after")
    def _within_limits(self) -> Self:
        low, high = MULTIPLIER_LIMITS
        if not low <= self.multiplier <= high:
            raise ValueError(f"personality multiplier must be between {low} and {high}")
        if self.source is PersonalitySource.SEEDED and self.seed is None:
            raise ValueError("a seeded personality records the seed it was drawn from")
        return self

    @property
    def appetite(self) -> Appetite:
        """Conservative below 1, aggressive above 1."""
        if self.multiplier < ONE:
            return Appetite.CONSERVATIVE
        if self.multiplier > ONE:
            return Appetite.AGGRESSIVE
        return Appetite.NEUTRAL

    @classmethod
    def neutral(cls) -> Personality:
        """A multiplier of exactly 1."""
        return cls()

    @classmethod
    def declared(cls, multiplier: Decimal | str | float) -> Personality:
        """A multiplier chosen by the operator."""
        return cls(multiplier=multiplier, source=PersonalitySource.DECLARED)

    @classmethod
    def seeded(cls, account_id: str, band: tuple[Decimal, Decimal] = DEFAULT_BAND) -> Personality:
        """Draw a multiplier once from a generator seeded with ``account_id`` inside ``band``.

        The draw is a pure function of the account id and the band, so the same account
        always gets the same multiplier; the result is stored and shown, never redrawn.
        """
        low, high = band
        if not Decimal(0) <= low <= high < ONE:
            raise ValueError(f"personality band must satisfy 0 <= low <= high < 1, got {band}")
        digest = hashlib.sha256(f"aria-personality:{account_id}".encode()).digest()
        rng = random.Random(
            int.from_bytes(digest[:8], "big")
        )  # a private generator, not global state
        distance = low + (high - low) * Decimal(repr(rng.random()))
        direction = 1 if rng.random() < 0.5 else -1
        multiplier = (ONE + direction * distance).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
        return cls(
            multiplier=multiplier,
            source=PersonalitySource.SEEDED,
            seed=account_id,
            band_low=low,
            band_high=high,
        )
