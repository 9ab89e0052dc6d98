"""The news gate: entries inside a firm's news window are refused; fills near one are warned of.

The account's rule set holds only the news rules of its phase (an FTMO challenge has none).
For each rule, the releases it counts that touch the request's instrument give windows
(:mod:`firms.news`), edges included. Then:

- ``open`` or ``pending`` listed: an entry while the instant is inside a window is refused
  (``news_window``), naming the release and its instant;
- ``hold`` listed (a position may not be held through the release): the stricter reading,
  since ARIA cannot know when the trader will close, refuses entries from the profile's news
  horizon before the window until it ends;
- ``close`` or ``stop_fill`` listed: a window that starts within the profile's news horizon
  adds a warning (a reason, not a refusal): the new position's stop or take-profit could fill
  inside it.

Reduce-only trades never reach this gate (exits are never blocked). The scalar pipeline and
the fan-out both decide the gate with :func:`news_refusal`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from aria.sizing.decision import RejectCode
from aria.sizing.inputs import DecisionInputs, MarketSnapshot, TradeRequest
from aria.sizing.instruments import Instrument
from firms.news import EconomicEvent, NewsWindow, Traded, windows
from firms.ruleset import RuleSet

if TYPE_CHECKING:
    from aria.sizing.columns import FanOut

ENTRY_ACTIONS = ("open", "pending")
FILL_ACTIONS = ("close", "stop_fill")


def traded(instrument: Instrument) -> Traded:
    """The instrument as the news rules see it."""
    return Traded.of(instrument.symbol, instrument.asset_class, instrument.base, instrument.quote)


def _firm(rules: RuleSet) -> str:
    return f"{rules.firm_name} {rules.plan_name} ({rules.phase.id})"


def news_refusal(
    rules: RuleSet,
    events: Sequence[EconomicEvent],
    instrument: Instrument,
    now: dt.datetime,
    horizon: dt.timedelta,
) -> str | None:
    """Why an entry on ``instrument`` at ``now`` is inside a news window, or ``None``."""
    if not rules.news or not events:
        return None
    for found in windows(rules.news, events, traded(instrument)):
        effect = found.rule.effect.replace("_", " ")
        if found.forbids(*ENTRY_ACTIONS) and found.contains(now):
            return (
                f"{_firm(rules)} forbids opening {instrument.symbol} inside the news window of"
                f" {found.describe()} (a trade there: {effect})"
            )
        if found.forbids("hold") and found.start - horizon <= now <= found.end:
            return (
                f"{_firm(rules)} forbids holding {instrument.symbol} through {found.describe()};"
                f" entries are refused from {horizon} before the window (the profile's news"
                f" horizon) until it ends (a position held through it: {effect})"
            )
    return None


def upcoming_fills(
    rules: RuleSet,
    events: Sequence[EconomicEvent],
    instrument: Instrument,
    now: dt.datetime,
    horizon: dt.timedelta,
) -> list[NewsWindow]:
    """Windows starting after ``now`` and within ``horizon`` in which a close or a stop fill
    on ``instrument`` would break the rule."""
    if not rules.news or not events:
        return []
    return [
        w
        for w in windows(rules.news, events, traded(instrument))
        if w.forbids(*FILL_ACTIONS) and now < w.start <= now + horizon
    ]


def news_gates(inputs: DecisionInputs) -> list[tuple[RejectCode, str]]:
    """An entry inside a news window of the account's firm (see the module's rules)."""
    reason = news_refusal(
        inputs.rules, inputs.news, inputs.instrument, inputs.now, inputs.profile.news_horizon
    )
    return [] if reason is None else [(RejectCode.NEWS_WINDOW, reason)]


def news_warnings(inputs: DecisionInputs) -> list[str]:
    """Warnings (reasons, not refusals): the stop or take-profit could fill inside a window."""
    found = upcoming_fills(
        inputs.rules, inputs.news, inputs.instrument, inputs.now, inputs.profile.news_horizon
    )
    return [
        f"warning: the stop or take-profit could fill inside the news window of {w.describe()},"
        f" which starts in {w.start - inputs.now}; {_firm(inputs.rules)} counts a close there"
        f" ({w.rule.effect.replace('_', ' ')}): close before {w.start.isoformat()}"
        for w in found
    ]


def news_over(
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> npt.NDArray[np.bool_]:
    """The news gate over a fan-out: the accounts whose entry is refused."""
    return fan.each_alike(
        "news",
        lambda i: (
            news_refusal(i.rules, i.news, instrument, fan.now, i.profile.news_horizon) is not None
        ),
    )


def news_read(inputs: DecisionInputs) -> tuple[object, ...]:
    """What of an account the news gate reads besides the signal and the moment."""
    if not inputs.rules.news or not inputs.news:
        return (None,)  # no window to be inside, whatever the signal
    return (inputs.rules, inputs.news, inputs.profile)
