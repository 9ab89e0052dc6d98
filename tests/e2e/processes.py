"""Real ARIA processes for reliability tests: ``aria serve`` and ``aria jobs run``, and a
TCP proxy that can cut the database away from them."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _aria() -> str:
    script = shutil.which("aria", path=str(Path(sys.executable).parent))
    if script is None:
        raise RuntimeError("the aria script is not installed next to this Python")
    return script


@dataclass
class Server:
    """A running ``aria serve``."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@contextlib.contextmanager
def serve(url: str, log: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``aria serve --no-scheduler`` on a free port over ``url``, until the block ends."""
    port = free_port()
    output = log.open("ab")
    process = subprocess.Popen(
        [_aria(), "serve", "--port", str(port), "--no-scheduler", "--log-level", "warning", *args],
        env={**os.environ, "ARIA_DATABASE_URL": url, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"aria serve exited: {log.read_text()[-2000:]}")
            try:
                httpx.get(f"{server.base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        output.close()


@contextlib.contextmanager
def jobs(url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``aria jobs run`` over ``url`` (its jobs run once at start, then on their intervals)."""
    output = log.open("ab")
    process = subprocess.Popen(
        [_aria(), "jobs", "run"],
        env={**os.environ, "ARIA_DATABASE_URL": url},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        output.close()


def run_aria(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A one-off ``aria`` command over ``url``."""
    return subprocess.run(
        [_aria(), *args],
        env={**os.environ, "ARIA_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Proxy:
    """A TCP proxy to a server; :meth:`cut` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._open = threading.Event()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stopped = False
        self.restore()

    def restore(self) -> None:
        """Accept connections again."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """The database is gone: close what is open and stop listening."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it
            listener.close()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            for end in (client, upstream):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def stop(self) -> None:
        """Cut for good."""
        self._stopped = True
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        ends = [a, b]
        try:
            while True:
                ready, _, _ = select.select(ends, [], [], 1.0)
                for end in ready:
                    data = end.recv(65536)
                    if not data:
                        return
                    (b if end is a else a).sendall(data)
        except OSError:
            return
        finally:
            for end in ends:
                with contextlib.suppress(OSError):
                    end.close()
