"""A local webhook receiver for notification tests: records every POST it is sent."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aria.notifications import verify_signature


@dataclass
class Received:
    """One POST as it arrived."""

    body: dict[str, Any]
    key: str
    signed: bool


@dataclass
class Receiver:
    """What the receiver got; ``delay`` slows each answer, ``status`` is what it answers."""

    url: str
    secret: str
    delay: float = 0.0
    status: int = 200
    got: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def ids(self) -> set[str]:
        """The event ids received at least once."""
        with self.arrived:
            return {r.body["id"] for r in self.got}

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` POSTs have arrived in all."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.got) >= count, timeout)


@contextlib.contextmanager
def receiver(secret: str = "whsec_test", delay: float = 0.0) -> Iterator[Receiver]:
    """A receiver on a free local port, until the block ends."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            me = box[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signed = verify_signature(
                me.secret, self.headers.get("Aria-Signature", ""), raw, time.time()
            )
            with me.arrived:
                me.got.append(
                    Received(json.loads(raw), self.headers.get("Aria-Idempotency-Key", ""), signed)
                )
                me.arrived.notify_all()
            time.sleep(me.delay)  # a slow receiver: a kill lands while the sender waits
            with contextlib.suppress(OSError):
                self.send_response(me.status)
                self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", secret, delay))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
