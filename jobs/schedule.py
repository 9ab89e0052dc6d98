"""The jobs, declared as data: id, what runs, and when (APScheduler trigger arguments)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aria.notifications import senders
from aria.service import alert_job, calendar, maintenance
from aria.service.context import Context


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job."""

    id: str
    run: Callable[[Context], Any]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "daily_resets",
        maintenance.daily_resets,
        "interval",
        {"minutes": 1},
        "roll each account's trading day at its firm's reset; lift daily halts",
    ),
    JobSpec(
        "expire_reservations",
        maintenance.expire_reservations,
        "interval",
        {"minutes": 1},
        "release reservations past their time-to-live",
    ),
    JobSpec(
        "volatility",
        maintenance.volatility,
        "interval",
        {"minutes": 15},
        "ATR, percentile, regime and daily volatility per symbol",
    ),
    JobSpec(
        "correlations",
        maintenance.correlations,
        "interval",
        {"hours": 1},
        "a new correlation matrix version over all symbols with bars",
    ),
    JobSpec(
        "trackers",
        maintenance.trackers,
        "interval",
        {"minutes": 5},
        "re-judge every account's latest state against its floors",
    ),
    JobSpec(
        "compliance_scan",
        maintenance.compliance_scan,
        "interval",
        {"minutes": 30},
        "record cross-account hedges, allocation and account-count findings",
    ),
    JobSpec(
        "stale_data",
        maintenance.stale_data,
        "interval",
        {"minutes": 10},
        "record accounts without a fresh state push",
    ),
    JobSpec(
        "audit_checkpoint",
        maintenance.audit_checkpoint,
        "interval",
        {"minutes": 60},
        "write a signed checkpoint of every chain head to ARIA_CHECKPOINT_DIR (off when unset)",
    ),
    JobSpec(
        "calendar",
        calendar.calendar_job,
        "interval",
        {"minutes": 15},
        "import the calendar files of ARIA_CALENDAR_DIR, each release once (off when unset)",
    ),
    JobSpec(
        "news_ahead",
        calendar.news_ahead_job,
        "interval",
        {"minutes": 1},
        "record, once per account and release, a news window coming within the lead time",
    ),
    JobSpec(
        "flat_by",
        maintenance.flat_by,
        "interval",
        {"minutes": 1},
        "warn before each account's flat-by time; record must_flatten for open positions at it",
    ),
    JobSpec(
        "inactivity",
        maintenance.inactivity,
        "interval",
        {"hours": 6},
        "warn days before an account's inactivity limit",
    ),
    JobSpec(
        "notify",
        senders.deliver,
        "interval",
        {"seconds": 5},
        "send the notifications due (webhooks, apprise), retrying with backoff",
    ),
    JobSpec(
        "alerts",
        alert_job.alerts_job,
        "interval",
        {"minutes": 1},
        "alert, once per crossing, on accounts holding positions with stale state or bars",
    ),
    JobSpec(
        "prune_snapshots",
        maintenance.prune_snapshots,
        "interval",
        {"hours": 24},
        "delete volatility snapshots older than ARIA_SNAPSHOT_RETENTION_DAYS (each symbol's"
        " latest is kept)",
    ),
)

HEARTBEAT_SECONDS = 30


def job(job_id: str) -> JobSpec:
    """The job with this id, or ``KeyError`` naming the known ones."""
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(f"unknown job {job_id!r}; jobs: {', '.join(s.id for s in JOBS)}")
