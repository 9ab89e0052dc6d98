"""Writing what an account's lifecycle (:mod:`firms.lifecycle`) changed, through the unit of work.

Shared by state pushes, sizing (which rolls lazily, so a decision never uses yesterday's
anchor even if the reset job has not run yet) and the scheduled jobs. The accounts must be
locked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from aria.service.ports import UnitOfWork
from firms.lifecycle import Rolled


def record(uow: UnitOfWork, rolled: Sequence[Rolled], at: dt.datetime) -> None:
    """Write what rolling found, for many accounts in a few statements."""
    uow.audit.append_events([event for r in rolled for event in r.records])
    uow.accounts.save_trackers([(r.account.id, r.tracker) for r in rolled if r.tracker_changed], at)
    for r in rolled:
        if r.account_changed:
            uow.accounts.save(r.account, at)
