"""The scheduler process (``aria jobs run``): APScheduler 3.x with an in-memory job store.

APScheduler 3.x must not share a job store between processes, so the jobs are declared in
code (``jobs.schedule``) and recreated at start in memory; every run claims its business
slot in the database, so a second scheduler started by mistake does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TypeVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from aria.service.context import Context
from jobs.schedule import HEARTBEAT_SECONDS, JOBS
from jobs.tasks import beat, run_job

log = logging.getLogger("aria.jobs")

_Scheduler = TypeVar("_Scheduler", bound=BaseScheduler)


def _configure(scheduler: _Scheduler, context: Context) -> _Scheduler:
    for spec in JOBS:
        scheduler.add_job(
            run_job,
            spec.trigger,
            id=spec.id,
            name=spec.description,
            kwargs={"context": context, "job_id": spec.id},
            replace_existing=True,
            next_run_time=dt.datetime.now(dt.UTC),
            **spec.trigger_args,
        )
    scheduler.add_job(
        beat,
        "interval",
        id="heartbeat",
        seconds=HEARTBEAT_SECONDS,
        kwargs={"context": context},
        replace_existing=True,
        next_run_time=dt.datetime.now(dt.UTC),
    )
    return scheduler


def _options() -> dict[str, object]:
    return {
        "jobstores": {"default": MemoryJobStore()},
        "executors": {"default": ThreadPoolExecutor(2)},
        "job_defaults": {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        "timezone": dt.UTC,
    }


def blocking(context: Context) -> BlockingScheduler:
    """A scheduler that owns the process (``aria jobs run``)."""
    return _configure(BlockingScheduler(**_options()), context)


def background(context: Context) -> BackgroundScheduler:
    """A scheduler in a background thread (``aria serve`` on a single-process install)."""
    return _configure(BackgroundScheduler(**_options()), context)
