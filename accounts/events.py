"""A rule event about to be written to an account's audit trail (a reset, a halt, a breach…)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """What happened to an account, who did it, why, and when it was recorded."""

    account_id: str
    kind: str
    actor: str
    reason: str
    at: dt.datetime
    detail: dict[str, Any] = field(default_factory=dict)
