"""Running one job: log it, time it, and keep the scheduler's heartbeat."""

from __future__ import annotations

import logging
import time
from typing import Any

from aria.service import maintenance
from aria.service.context import Context
from jobs.schedule import job

log = logging.getLogger("aria.jobs")


def run_job(context: Context, job_id: str) -> Any:
    """Run the job ``job_id`` now; errors are logged and re-raised."""
    spec = job(job_id)
    started = time.perf_counter()
    try:
        report = spec.run(context)
    except Exception:
        log.exception("job %s failed", job_id)
        raise
    log.info("job %s finished in %.3f s: %s", job_id, time.perf_counter() - started, report)
    return report


def beat(context: Context) -> None:
    """Record the scheduler's heartbeat."""
    maintenance.heartbeat(context)
