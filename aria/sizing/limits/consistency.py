"""The consistency cap: a trade's reward at its take-profit kept within what today may still
earn under the firm's best-day rules, when the profile asks (``limits.consistency_cap``).

For each best-day rule judged in the account's phase (a pass gate in an evaluation, a
payout gate once funded), :func:`firms.progress.day_room` gives the most profit today may
still add so that, if the trade wins, today's share of the rule's profit stays within its
limit. Today's profit so far is the larger of the day's closed trading profit (the window's
trades, and the balance against the day's anchor, both net of cash flows) plus the floating
profit of open positions (a floating loss is not counted: it may still come back). The
reward of one lot is the take-profit's distance at the larger of the stop's and the
target's value per point, costs left out: an upper bound of the win. A trade without a
take-profit has no bounded reward and is not capped. Scalar-only: the fan-out hands the
accounts whose cap is on to the scalar pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from accounts.model import Trade
from accounts.money import ZERO
from aria.sizing.decision import RejectCode
from aria.sizing.inputs import BestDayWindow
from aria.sizing.instruments import Instrument
from aria.sizing.limits.base import AccountView, Bound, Limit, LimitContext, Mask, Row, Table
from firms.model import ConsistencyRule
from firms.progress import WindowProfit, day_room, gate_applies, window_profit
from firms.ruleset import RuleSet

_BASIS = {
    "total_profit": "total profit",
    "positive_days": "positive days",
    "profit_target": "the profit target",
}


def windows_of(
    rules: RuleSet,
    trades: Iterable[Trade],
    now: dt.datetime,
    last_payout: dt.datetime | None,
    payouts: int,
) -> tuple[BestDayWindow, ...]:
    """Each best-day rule's window of the phase's closed ``trades`` split at the trading day
    of ``now``, as a decision's input (one per rule of ``rules``, in their order)."""
    trades = list(trades)
    found = []
    for rule in rules.consistency:
        split = window_profit(rule, trades, rules.daily_reset, now, last_payout)
        found.append(
            BestDayWindow(
                prior_net=split.prior_net,
                prior_positive=split.prior_positive,
                today=split.today,
                payouts=payouts,
            )
        )
    return tuple(found)


def judged(view: AccountView) -> list[tuple[ConsistencyRule, WindowProfit, int]]:
    """The best-day rules the cap applies to now, each with its window and the payouts made
    (none when the profile's cap is off)."""
    rules = view.rules
    if not view.profile.limits.consistency_cap:
        return []
    windows = list(view.best_day_windows)
    found = []
    for index, rule in enumerate(rules.consistency):
        if not gate_applies(rule, rules.phase.kind):
            continue
        # No window given: an empty one, so only today's profit counts (the stricter reading).
        given = windows[index] if index < len(windows) else None
        prior_net = given.prior_net if given else ZERO
        prior_positive = given.prior_positive if given else ZERO
        closed = max(given.today if given else ZERO, view.balance - view.day_balance)
        today = closed + max(view.equity - view.balance, ZERO)
        window = WindowProfit(prior_net=prior_net, prior_positive=prior_positive, today=today)
        found.append((rule, window, given.payouts if given else 0))
    return found


class ConsistencyCap(Limit):
    """Today's profit, this trade's win included, within each best-day rule's share."""

    names = ("consistency_cap",)
    codes = (RejectCode.CONSISTENCY_CAP,)
    vectorised = False

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        view = ctx.account
        found = judged(view)
        if not found:
            return []
        per_lot = ctx.geometry.win_per_lot
        target = view.rules.target_amount()
        name, code = self.names[0], self.codes[0]
        out = []
        for rule, window, payouts in found:
            limit = rule.limit_after(payouts)
            what = (
                f"{view.rules.firm}'s {rule.gate} rule: best day at most {limit} % of"
                f" {_BASIS[rule.denominator]}"
            )
            if per_lot is None:
                reason = f"{what}: no take-profit bounds this trade's win, so it is not capped"
                out.append(Bound(name, ctx.instrument.max_lot, reason))
                continue
            room = day_room(rule, window, target, payouts)
            if room is None:
                continue  # a 100 % share: any day fits
            reason = (
                f"{what}: today's profit {window.today:,.2f} may grow by {room:,.2f};"
                f" this trade wins {per_lot:,.2f} a lot at its take-profit"
            )
            # A take-profit is never at the entry (the request refuses it), so per_lot > 0.
            out.append(Bound(name, room / per_lot, reason, code))
        return out

    def prepare(self, view: AccountView, row: Row) -> None:
        row.flag(self.names[0], bool(judged(view)))

    def fallback(self, table: Table, instrument: Instrument) -> Mask | None:
        return table.flags[self.names[0]]


CONSISTENCY: tuple[Limit, ...] = (ConsistencyCap(),)
