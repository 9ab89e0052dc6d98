"""Prometheus metrics: decisions by status and code, request latency, job runs, heartbeat age."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aria.service.context import Context

log = logging.getLogger("aria.api")


class _DatabaseCollector(Collector):
    """Figures read from the database at scrape time (the scheduler may run elsewhere)."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def collect(self) -> Iterator[GaugeMetricFamily]:
        runs = GaugeMetricFamily(
            "aria_job_last_run_timestamp_seconds",
            "When each job last claimed a slot",
            labels=["job", "status"],
        )
        beat = GaugeMetricFamily(
            "aria_scheduler_heartbeat_age_seconds", "Seconds since the scheduler's last heartbeat"
        )
        try:
            with self.context.unit() as uow:
                last = uow.jobs.last_runs()
                heartbeat = uow.jobs.last_beat("scheduler")
        except Exception:
            log.warning("metrics: the database did not answer")
            return
        for job_id, run in sorted(last.items()):
            runs.add_metric([job_id, run.status], run.claimed_at.timestamp())
        yield runs
        if heartbeat is not None:
            beat.add_metric([], (self.context.clock.now() - heartbeat).total_seconds())
            yield beat


class Metrics:
    """The API's metrics, in their own registry."""

    def __init__(self, context: Context) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "aria_decisions",
            "Sizing decisions answered",
            ["status", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "aria_request_seconds",
            "Time to answer an API request",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.registry.register(_DatabaseCollector(context))

    def count(self, status: str, codes: list[str]) -> None:
        """Count one decision under each of its codes (approved: ``none``)."""
        for code in codes or ["none"]:
            self.decisions.labels(status=status, code=code).inc()


def heartbeat_age(context: Context) -> float | None:
    """Seconds since the scheduler's heartbeat, or ``None`` if it never beat."""
    with context.read_unit() as uow:  # a read: never waits behind writers
        beat = uow.jobs.last_beat("scheduler")
    return (
        None if beat is None else max((context.clock.now() - beat) / dt.timedelta(seconds=1), 0.0)
    )
