"""What the audit keeps of a decision: the decision, and its inputs as the texts that were hashed.

The inputs are kept in two pieces: the parts this account alone has (its account, state,
peaks, trades…) as one JSON text, and the parts a fan-out shares (profile, rules,
instrument, market, request, and each sibling account as the others see it) by the digest
of their JSON, so a part shared by a thousand decisions is kept once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aria.sizing.decision import Decision
from aria.sizing.inputs import (
    LISTED_PARTS,
    SHARED_PARTS,
    DecisionInputs,
    fingerprint,
    shared_part,
)


@dataclass(frozen=True, slots=True)
class SharedPart:
    """One shared part of the inputs: its name, the SHA-256 of its text, and the text."""

    name: str
    digest: str
    text: str


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision ready to be recorded, and the reservation it takes if it is approved."""

    decision: Decision
    decision_json: str
    own_json: str
    refs: dict[str, str | list[str]]  # digest of each shared part; lists for listed parts
    parts: tuple[SharedPart, ...]  # every shared part's text, to keep once
    strategy: str | None
    reserve_until: dt.datetime | None
    reduce_only: bool = False  # the reservation holds the lots it closes, not risk


def record_of(
    decision: Decision,
    inputs: DecisionInputs,
    strategy: str | None,
    reserve_until: dt.datetime | None,
) -> DecisionRecord:
    """The record of ``decision`` taken from ``inputs`` (texts and digests are computed once
    per object: the input hash of ordered inputs read the same)."""
    parts = []
    for name in SHARED_PARTS:
        text, digest = shared_part(getattr(inputs, name))
        parts.append(SharedPart(name, digest, text))
    for name in LISTED_PARTS:
        for value in getattr(inputs, name):
            text, digest = shared_part(value)
            parts.append(SharedPart(name, digest, text))
    recorded = fingerprint(inputs)
    return DecisionRecord(
        decision=decision,
        decision_json=decision.model_dump_json(),
        own_json=recorded.own_json,
        refs=recorded.refs,
        parts=tuple(parts),
        strategy=strategy,
        reserve_until=reserve_until,
        reduce_only=inputs.request.reduce_only,
    )
