"""The HTTP API on loopback: a real ``aria serve`` process, 1 and 8 concurrent clients."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from aria.service.keys import create_key
from bench.fixtures import database, populate
from bench.harness import Figure, latency, note, value


def _script() -> str:
    script = shutil.which("aria", path=str(Path(sys.executable).parent))
    if script is None:
        raise RuntimeError("the aria script is not installed next to this Python")
    return script


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    database_url: str,
    extra_env: dict[str, str] | None = None,
    log_path: Path | None = None,
    extra_args: Sequence[str] = (),
    ready: int = 0,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """An ``aria serve --no-scheduler`` process on a free loopback port; with ``ready``, once
    that many of its processes have logged their start (``--log-level info``)."""
    script = _script()
    port = _free_port()
    env = {**os.environ, "ARIA_DATABASE_URL": database_url, **(extra_env or {})}
    log = open(log_path or os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    # The server's output goes to a file, never to a pipe nobody reads (a full pipe blocks it).
    process = subprocess.Popen(
        [
            script,
            "serve",
            "--port",
            str(port),
            "--no-scheduler",
            "--log-level",
            "warning",
            *extra_args,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # several processes start slowly on a busy machine
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        while ready and time.monotonic() < deadline:
            started = (log_path or Path(os.devnull)).read_text(encoding="utf-8", errors="replace")
            if started.count("Application startup complete") >= ready:
                break
            time.sleep(0.1)
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def load(
    base: str, token: str, bodies: Iterator[dict[str, object]], clients: int, seconds: float
) -> tuple[list[float], int]:
    """Send requests from ``clients`` threads for ``seconds``; latencies and error count."""
    lock = threading.Lock()
    samples: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            while time.monotonic() < stop:
                with lock:
                    body = next(bodies)
                started = time.perf_counter()
                response = client.post("/v1/sizing", json=body)
                elapsed = time.perf_counter() - started
                with lock:
                    samples.append(elapsed)
                    errors += response.status_code != 200

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, errors


def _singles(ids: list[str], tag: str) -> Iterator[dict[str, object]]:
    for n in itertools.count():
        yield {
            "request_id": f"{tag}-{n}",
            "accounts": [ids[n % len(ids)]],
            "symbol": "EURUSD",
            "side": "long",
            "entry": "1.0850",
            "stop": "1.0800",
        }


def processes(quick: bool, folder: Path, backends: tuple[str, ...]) -> list[Figure]:
    """Figures ``http.single_ms.postgres.w<P>.c<k>``: 1 and 2 server processes
    (``aria serve --workers``), 1 and 8 clients, on PostgreSQL (SQLite has one writer)."""
    if "postgres" not in backends:
        note("HTTP with 2 server processes not measured: it needs PostgreSQL")
        return []
    figures: list[Figure] = []
    seconds = 1.5 if quick else 10.0
    with database("postgres", folder) as db:
        db.clock.current = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        ids = populate(db, 1000)
        token = create_key(db.context, "bench", ["size"]).token
        url = db.engine.url.render_as_string(hide_password=False)
        env = {"ARIA_RESERVATION_TTL_SECONDS": "1", "ARIA_RATE_LIMIT": "0"}
        for workers in (1, 2):
            log = folder / f"server-w{workers}.log"
            # At info level each process logs when it is ready: the load waits for all.
            args = ["--workers", str(workers), "--log-level", "info"]
            with server(url, env, log, args, ready=workers) as (base, _):
                bodies = _singles(ids, f"w{workers}")
                load(base, token, bodies, 1, 1.0)  # warm up
                for clients in (1, 8):
                    samples, errors = load(base, token, bodies, clients, seconds)
                    name = f"http.single_ms.postgres.w{workers}.c{clients}"
                    figures.append(latency(name, samples))
                    figures.append(value(f"{name}.errors", "count", [errors]))
    return figures


def run(quick: bool, folder: Path) -> list[Figure]:
    """Figures ``http.single_ms.c<k>``, ``http.single_rps.c<k>``, ``http.fanout100_ms.c<k>``."""
    figures: list[Figure] = []
    seconds = 1.5 if quick else 10.0
    with database("sqlite", folder) as db:
        db.clock.current = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        ids = populate(db, 1000)
        token = create_key(db.context, "bench", ["size"]).token
        url = str(db.engine.url)
        db.engine.dispose()
        counter = itertools.count()

        def single() -> Iterator[dict[str, object]]:
            for n in counter:
                yield {
                    "request_id": f"h-{n}",
                    "accounts": [ids[n % len(ids)]],
                    "symbol": "EURUSD",
                    "side": "long",
                    "entry": "1.0850",
                    "stop": "1.0800",
                }

        def fan() -> Iterator[dict[str, object]]:
            for n in counter:
                start = (n * 100) % len(ids)
                yield {
                    "request_id": f"f-{n}",
                    "accounts": ids[start : start + 100] or ids[:100],
                    "symbol": "EURUSD",
                    "side": "long",
                    "entry": "1.0850",
                    "stop": "1.0800",
                }

        log = folder / "server.log"
        # No rate limit: the benchmark measures how fast one key can be served.
        env = {"ARIA_RESERVATION_TTL_SECONDS": "1", "ARIA_RATE_LIMIT": "0"}
        with server(url, env, log) as (base, _):
            load(base, token, single(), 1, 1.0)  # warm up
            for clients in (1, 8):
                samples, errors = load(base, token, single(), clients, seconds)
                figures.append(latency(f"http.single_ms.c{clients}", samples))
                figures.append(
                    value(f"http.single_rps.c{clients}", "per_s", [len(samples) / seconds])
                )
                figures.append(value(f"http.single_errors.c{clients}", "count", [errors]))
                samples, errors = load(base, token, fan(), clients, seconds)
                figures.append(latency(f"http.fanout100_ms.c{clients}", samples))
                figures.append(value(f"http.fanout100_errors.c{clients}", "count", [errors]))
    return figures
