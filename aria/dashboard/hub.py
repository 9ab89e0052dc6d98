"""One listener per server process, fanned out to every open dashboard stream.

A stream subscribes a queue; the hub reads the change feed once (one PostgreSQL connection
listening, or one poll a second on SQLite) and puts each change on every queue. ``ready``
is set once the feed listens: a stream waits for it before telling the page it is live.
When the feed fails (the database restarted) the hub listens again after a pause and puts
``None`` on every queue: changes may have been missed, so the pages refresh every row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aria.service.changes import ChangeFeed
from aria.stored import Change

log = logging.getLogger("aria.dashboard")
QUEUE_SIZE = 1000  # changes a slow stream may lag behind before it misses some
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0)


class Hub:
    """The process's subscription to a change feed, shared by its streams."""

    def __init__(self, feed: ChangeFeed) -> None:
        self.feed = feed
        self.queues: set[asyncio.Queue[Change | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ready = asyncio.Event()

    def subscribe(self) -> asyncio.Queue[Change | None]:
        """A queue that receives every change from now on (call from the event loop)."""
        queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.queues.add(queue)
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self.ready = asyncio.Event()
            self._loop, self._task = loop, loop.create_task(self._run())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change | None]) -> None:
        """Stop sending to ``queue``; the last one out stops the listening."""
        self.queues.discard(queue)
        if not self.queues and self._task is not None:
            self._task.cancel()
            self._task = None
            self.ready = asyncio.Event()

    def _send(self, change: Change | None) -> None:
        for queue in list(self.queues):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(change)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                async for change in self.feed.changes():
                    if change is not None:
                        self._send(change)
                        continue
                    if failures:  # listening again: what happened meanwhile is unknown
                        self._send(None)
                    failures = 0
                    self.ready.set()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning(
                    "dashboard: the change feed failed (%s); listening again in %g s",
                    type(exc).__name__,
                    pause,
                )
                await asyncio.sleep(pause)
