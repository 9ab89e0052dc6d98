"""Prometheus metrics: decisions by status and code, request latency, job runs, heartbeat age."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aria.service import dashboard
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


# Trading states as numbers (``aria_account_trading_state``): higher is more restricted.
TRADING_CODES = {"active": 0, "reducing": 1, "halted": 2}
ACCOUNT_LABELS = ["account", "owner", "firm"]


class AccountCollector(Collector):
    """Per-account gauges read at scrape time from the dashboard's read model (one read of
    every account), limited to ``owner``'s accounts when given."""

    def __init__(self, context: Context, owner: str | None = None) -> None:
        self.context, self.owner = context, owner

    def collect(self) -> Iterator[GaugeMetricFamily]:
        def family(name: str, text: str, extra: tuple[str, ...] = ()) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, text, labels=[*ACCOUNT_LABELS, *extra])

        equity = family("aria_account_equity", "Equity of the latest state pushed")
        balance = family("aria_account_balance", "Balance of the latest state pushed")
        room = family("aria_account_headroom", "Loss still available before the nearest floor")
        distance = family(
            "aria_account_floor_distance", "Equity less the floor's level", ("floor",)
        )
        trading = family(
            "aria_account_trading_state", "Trading state: 0 active, 1 reducing, 2 halted"
        )
        open_risk = family("aria_account_open_risk", "Loss if every open position hits its stop")
        reserved = family("aria_account_reserved", "Risk held for decisions not yet placed")
        try:
            views = dashboard.risks(self.context, self.owner)
        except Exception:
            log.warning("metrics: the accounts could not be read")
            return
        for view in views:
            account = view.account
            labels = [account.id, account.owner, account.firm]
            trading.add_metric(labels, TRADING_CODES[account.trading.status.value])
            if view.state is not None:
                equity.add_metric(labels, float(view.state.equity))
                balance.add_metric(labels, float(view.state.balance))
            if view.headroom is not None:
                room.add_metric(labels, float(view.headroom.available))
                open_risk.add_metric(labels, float(view.headroom.open_risk))
                reserved.add_metric(labels, float(view.headroom.reserved))
                for floor, left in sorted(view.headroom.distances.items()):
                    distance.add_metric([*labels, floor], float(left))
        yield from (equity, balance, room, distance, trading, open_risk, reserved)


class Metrics:
    """The API's metrics, in their own registry."""

    def __init__(self, context: Context) -> None:
        self.context = context
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
        self.registry.register(AccountCollector(context))

    def of_owner(self, owner: str) -> CollectorRegistry:
        """A registry of ``owner``'s per-account gauges only (no other owner's counts)."""
        registry = CollectorRegistry()
        registry.register(AccountCollector(self.context, owner))
        return registry

    def count(self, status: str, codes: list[str]) -> None:
        """Count one decision under each of its codes (approved: ``none``)."""
        for code in codes or ["none"]:
            self.decisions.labels(status=status, code=code).inc()


class Measure:
    """ASGI middleware: each HTTP request's time to its response's start, by route template.

    Timed to the start of the response, not its end: a dashboard's live stream never ends.
    A plain ASGI middleware, so a request pays no task or queue of its own for the timing.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The router has put the matched route in the scope by now.
                path = getattr(scope.get("route"), "path", "unmatched")
                self.metrics.latency.labels(route=path, method=scope["method"]).observe(
                    time.perf_counter() - started
                )
            await send(message)

        await self.app(scope, receive, timed)


def heartbeat_age(context: Context) -> float | None:
    """Seconds since the scheduler's heartbeat, or ``None`` if it never beat."""
    with context.read_unit() as uow:  # a read: never waits behind writers
        beat = uow.jobs.last_beat("scheduler")
    return (
        None if beat is None else max((context.clock.now() - beat) / dt.timedelta(seconds=1), 0.0)
    )
