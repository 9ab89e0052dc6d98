"""Repositories: the SQL behind the service's ports, one module per aggregate.

They flush and commit nothing; the unit of work (:mod:`storage.uow`) owns the transaction
and the chain heads its appends move.
"""

from storage.repositories.access import AccessRepository
from storage.repositories.accounts import AccountRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.calendar import CalendarRepository
from storage.repositories.chain import Chain, ChainHeads
from storage.repositories.jobs import JobRepository
from storage.repositories.market import MarketRepository
from storage.repositories.notifications import AlertRepository, NotificationRepository
from storage.repositories.sizing import SizingRepository

__all__ = [
    "AccessRepository",
    "AccountRepository",
    "AlertRepository",
    "AuditRepository",
    "CalendarRepository",
    "Chain",
    "ChainHeads",
    "JobRepository",
    "MarketRepository",
    "NotificationRepository",
    "SizingRepository",
]
