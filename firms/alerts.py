"""Alerts: thresholds crossed upward, each fired once per crossing, with a recommended action.

A *reading* is how far one watched quantity has gone towards its limit, as a fraction
(``0.5``: half the distance to a floor used). Each of its levels fires once when the
fraction reaches it, and re-arms only when the fraction falls back below the level minus
a margin, or when the reading's *epoch* changes (a daily floor's trading day): so a fraction
that hovers around a level never fires it twice. The fired levels are the caller's to keep
(they are persisted, so a restart never fires again); :func:`evaluate` is pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from accounts.model import TradingState, TradingStatus
from accounts.money import ZERO

REARM_MARGIN = Decimal("0.05")  # 5 points of the distance, below a level, re-arm it


class Action(StrEnum):
    """What an alert recommends."""

    REDUCE_SIZE = "reduce_size"
    CLOSE_ONLY = "close_only"
    FLATTEN_NOW = "flatten_now"
    REVIEW = "review"  # look at the account: nothing to do to positions


class Severity(StrEnum):
    """How urgent an alert is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


# The graded responses to a floor's levels, lowest level first; more levels repeat the last.
FLOOR_ACTIONS = (
    (Action.REDUCE_SIZE, Severity.INFO),
    (Action.CLOSE_ONLY, Severity.WARNING),
    (Action.FLATTEN_NOW, Severity.CRITICAL),
)


@dataclass(frozen=True, slots=True)
class Level:
    """One threshold of a reading and what crossing it recommends."""

    at: Decimal
    action: Action
    severity: Severity


@dataclass(frozen=True, slots=True)
class Reading:
    """One watched quantity of an account: ``fraction`` of the way to its limit."""

    key: str  # e.g. ``floor:daily_loss``, ``objective:consistency``, ``time:stale_state``
    fraction: Decimal
    levels: tuple[Level, ...]
    message: str  # what the reading is, for a trader: "daily loss floor: 76 % of 5,000 used"
    epoch: str = ""  # a new epoch (a daily floor's new day) re-arms every level
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fired:
    """The levels of one reading fired in its epoch and not re-armed since."""

    epoch: str
    levels: frozenset[Decimal]


@dataclass(frozen=True, slots=True)
class Crossing:
    """A level a reading has just reached."""

    key: str
    level: Level
    fraction: Decimal
    message: str
    detail: Mapping[str, str]

    def text(self) -> str:
        """One sentence: what was crossed and what to do."""
        return f"{self.message} — {self.level.action.value.replace('_', ' ')}"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The crossings of one evaluation and the fired levels to keep afterwards."""

    crossings: tuple[Crossing, ...]
    fired: dict[str, Fired]

    def active(self, readings: Sequence[Reading]) -> dict[str, Level]:
        """Per reading, the highest level its fraction is at or above now (none: missing)."""
        found: dict[str, Level] = {}
        for reading in readings:
            reached = [lv for lv in reading.levels if reading.fraction >= lv.at]
            if reached:
                found[reading.key] = max(reached, key=lambda lv: lv.at)
        return found


def fired_levels(fired: Fired | None) -> tuple[str, frozenset[Decimal]]:
    """What a fired state means: none at all when no level is fired, whatever its epoch."""
    if fired is None or not fired.levels:
        return ("", frozenset())
    return (fired.epoch, fired.levels)


def evaluate(
    readings: Sequence[Reading],
    fired: Mapping[str, Fired],
    margin: Decimal = REARM_MARGIN,
) -> Evaluation:
    """The levels ``readings`` cross now given what had ``fired``, and the new fired state.

    Keys not read keep their state (a push does not read the time-based alerts the job does).
    """
    kept = dict(fired)
    crossings: list[Crossing] = []
    for reading in readings:
        before = kept.get(reading.key)
        levels = (
            set(before.levels) if before is not None and before.epoch == reading.epoch else set()
        )
        # Re-arm first: a level the fraction has left by the margin may fire again later.
        levels = {lv for lv in levels if reading.fraction >= lv - margin}
        for level in sorted(reading.levels, key=lambda lv: lv.at):
            if reading.fraction >= level.at and level.at not in levels:
                levels.add(level.at)
                crossings.append(
                    Crossing(reading.key, level, reading.fraction, reading.message, reading.detail)
                )
        kept[reading.key] = Fired(reading.epoch, frozenset(levels))
    return Evaluation(tuple(crossings), kept)


def floor_levels(at: Sequence[Decimal]) -> tuple[Level, ...]:
    """A floor's levels with their graded responses (reduce, close only, flatten)."""
    ordered = sorted(at)
    return tuple(
        Level(value, *FLOOR_ACTIONS[min(i, len(FLOOR_ACTIONS) - 1)])
        for i, value in enumerate(ordered)
    )


def used(anchor_distance: Decimal, distance_left: Decimal) -> Decimal:
    """The fraction of a floor's distance used: (anchor distance − left) / anchor distance.

    A floor with no distance at all (an amount of zero) is wholly used.
    """
    if anchor_distance <= ZERO:
        return Decimal(1)
    return (anchor_distance - distance_left) / anchor_distance


def floor_reading(
    name: str,
    anchor_distance: Decimal,
    distance_left: Decimal,
    at: Sequence[Decimal],
    epoch: str = "",
) -> Reading:
    """The reading of one floor (``daily_loss``, ``max_loss``, ``floating_loss``)."""
    fraction = used(anchor_distance, distance_left)
    label = name.replace("_", " ")
    pct = (fraction * 100).quantize(Decimal(1))
    return Reading(
        key=f"floor:{name}",
        fraction=fraction,
        levels=floor_levels(at),
        message=f"{label} floor: {pct} % of its {anchor_distance:,.2f} distance used"
        f" ({distance_left:,.2f} left)",
        epoch=epoch,
        detail={"floor": name, "distance_left": str(distance_left)},
    )


def consistency_reading(
    share_pct: Decimal, limit_pct: Decimal, margin: Decimal, key: str = "objective:consistency"
) -> Reading:
    """The best day's share against its cap; warns at ``margin`` of the cap."""
    fraction = share_pct / limit_pct if limit_pct > ZERO else ZERO
    return Reading(
        key=key,
        fraction=fraction,
        levels=(Level(margin, Action.REDUCE_SIZE, Severity.WARNING),),
        message=f"best day is {share_pct:.2f} % of the profit (cap {limit_pct} %)",
        detail={"share_pct": str(share_pct), "limit_pct": str(limit_pct)},
    )


def target_reading(profit: Decimal, target: Decimal) -> Reading:
    """Progress towards the profit target; fires once when it is reached."""
    fraction = profit / target if target > ZERO else ZERO
    return Reading(
        key="objective:profit_target",
        fraction=fraction,
        levels=(Level(Decimal(1), Action.REVIEW, Severity.INFO),),
        message=f"profit target reached: {profit:,.2f} of {target:,.2f}",
        detail={"profit": str(profit), "target": str(target)},
    )


def stale_reading(key: str, age_seconds: Decimal, allowed_seconds: Decimal, what: str) -> Reading:
    """Data older than allowed (``time:stale_state``, ``time:stale_bars:<symbol>``)."""
    fraction = age_seconds / allowed_seconds if allowed_seconds > ZERO else Decimal(1)
    minutes = (age_seconds / 60).quantize(Decimal(1))
    return Reading(
        key=key,
        fraction=fraction,
        levels=(Level(Decimal(1), Action.REVIEW, Severity.WARNING),),
        message=f"{what}: {minutes} minutes old",
        detail={"age_seconds": str(age_seconds.quantize(Decimal(1)))},
    )


ALERT_REDUCING = "alert: "  # prefix of the reason of a 'reducing' state an alert set
ACTING = (Action.CLOSE_ONLY, Action.FLATTEN_NOW)


@dataclass(frozen=True, slots=True)
class Acted:
    """The trading state after an alert acted, and the event kind when it changed."""

    trading: TradingState
    kind: str | None = None


def is_alert_reducing(trading: TradingState) -> bool:
    """True when the account is 'reducing' because an alert put it there."""
    return trading.status is TradingStatus.REDUCING and (trading.reason or "").startswith(
        ALERT_REDUCING
    )


def act(trading: TradingState, active: Mapping[str, Level], now: dt.datetime) -> Acted:
    """Move an active account to 'reducing' while a floor is at a close-only or flatten level,
    and back once none is; any other state (a halt, an operator's) is left alone."""
    acting = sorted(key for key, level in active.items() if level.action in ACTING)
    if acting and trading.status is TradingStatus.ACTIVE:
        worst = max((active[key] for key in acting), key=lambda lv: lv.at)
        reason = f"{ALERT_REDUCING}{', '.join(acting)} at {worst.action.value.replace('_', ' ')}"
        reducing = TradingState(status=TradingStatus.REDUCING, reason=reason, since=now)
        return Acted(reducing, "alert_reducing")
    if not acting and is_alert_reducing(trading):
        return Acted(TradingState(since=now, reason="back under the alert levels"), "alert_lifted")
    return Acted(trading)
