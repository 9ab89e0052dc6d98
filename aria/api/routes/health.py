"""``/healthz`` (no key needed) and ``/metrics`` (Prometheus text)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from aria.api.deps import Ctx
from aria.api.metrics import Metrics, heartbeat_age
from aria.api.schemas import ERRORS, HealthOut
from aria.api.security import Reader
from aria.service import maintenance
from aria.service.context import Context

router = APIRouter(tags=["health"])
HEALTH_BEAT = "healthz"  # the heartbeat row /healthz writes to prove writes succeed
PROBE_SECONDS = 1.0  # /healthz needs no key: at most one write probe a second per process


class WriteProbe:
    """The last write probe's answer, shared by the calls of one second (one at a time), so
    that a flood of anonymous health checks cannot queue up for the database's writer."""

    def __init__(
        self, interval: float = PROBE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval, self._clock = interval, clock
        self._lock = threading.Lock()
        self._at: float | None = None
        self._answer = "ok"

    def database(self, ctx: Context) -> str:
        """``ok``, or why writes fail."""
        with self._lock:
            now = self._clock()
            if self._at is None or now - self._at >= self._interval:
                try:
                    # A database can answer reads while refusing every write (a full disk):
                    # commit a one-row upsert, so "ok" means sizing could record decisions.
                    maintenance.heartbeat(ctx, HEALTH_BEAT)
                    self._answer = "ok"
                except Exception as exc:
                    self._answer = f"unavailable: writes fail ({type(exc).__name__})"
                self._at = self._clock()
            return self._answer


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
def healthz(ctx: Ctx, request: Request) -> JSONResponse:
    """Whether the database answers reads and takes writes, and when the scheduler last beat."""
    try:
        age = heartbeat_age(ctx)
    except Exception as exc:
        age, database = None, f"unavailable: {type(exc).__name__}"
    else:
        probe: WriteProbe = request.app.state.write_probe
        database = probe.database(ctx)
    limit = request.app.state.heartbeat_limit
    if database != "ok":
        status = "down"
    elif limit is not None and (age is None or age > limit):
        status = "degraded"  # sizing still works; the jobs are not running
    else:
        status = "ok"
    body = HealthOut(status=status, database=database, scheduler_heartbeat_age_seconds=age)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if status == "down" else 200)


@router.get(
    "/metrics",
    response_class=Response,
    responses={k: v for k, v in ERRORS.items() if k in (401, 403, 429)},
)
def metrics(request: Request, caller: Reader) -> Response:
    """Prometheus metrics: everything to a key not limited to an owner; an owner's key gets
    its own accounts' gauges only (the other counts add up every owner's decisions)."""
    registry: Metrics = request.app.state.metrics
    chosen = registry.registry if caller.owner is None else registry.of_owner(caller.owner)
    return Response(generate_latest(chosen), media_type=CONTENT_TYPE_LATEST)
