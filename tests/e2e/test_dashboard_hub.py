"""The dashboard's hub: one feed read for every stream of a process, a resync after the
feed failed, and no listening once the last stream is gone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aria.dashboard.hub import Hub
from aria.stored import Change


class ScriptedFeed:
    """A feed that fails on its first listen when told to, then relays what a test sends."""

    def __init__(self, fail_first: bool = False) -> None:
        self.sent: asyncio.Queue[Change] = asyncio.Queue()
        self.listens = 0
        self.closed = 0
        self.fail_first = fail_first

    async def changes(self) -> AsyncIterator[Change | None]:
        self.listens += 1
        try:
            if self.fail_first and self.listens == 1:
                raise ConnectionError("database restarted")
            yield None
            while True:
                yield await self.sent.get()
        finally:
            self.closed += 1


async def _fan_out() -> None:
    feed = ScriptedFeed()
    hub = Hub(feed)
    first, second = hub.subscribe(), hub.subscribe()
    await asyncio.wait_for(hub.ready.wait(), 5)
    await feed.sent.put(Change("alice", "a-1"))
    assert await asyncio.wait_for(first.get(), 5) == Change("alice", "a-1")
    assert await asyncio.wait_for(second.get(), 5) == Change("alice", "a-1")
    assert feed.listens == 1
    hub.unsubscribe(first)
    hub.unsubscribe(second)
    for _ in range(20):
        await asyncio.sleep(0)
    assert feed.closed == 1


def test_one_feed_serves_every_stream_and_stops_with_the_last() -> None:
    asyncio.run(_fan_out())


async def _resync() -> None:
    feed = ScriptedFeed(fail_first=True)
    hub = Hub(feed)
    queue = hub.subscribe()
    assert await asyncio.wait_for(queue.get(), 10) is None  # changes may have been missed
    assert hub.ready.is_set()
    await feed.sent.put(Change("bob", "b-1"))
    assert await asyncio.wait_for(queue.get(), 5) == Change("bob", "b-1")
    hub.unsubscribe(queue)


def test_a_failed_feed_listens_again_and_asks_for_a_resync() -> None:
    asyncio.run(_resync())
