"""Notifications are never lost: the delivery process SIGKILLed mid-send, again and again."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from accounts.events import AccountEvent
from aria.service import notifications
from aria.service.notifications import NewSubscription
from tests.builders import open_account
from tests.databases import make_context
from tests.e2e.processes import _aria
from tests.e2e.receiver import receiver

EVENTS = 40
KILLS = 3


def _deliverer(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ARIA_DATABASE_URL": url,
        "ARIA_NOTIFY_LEASE_SECONDS": "2",
        "ARIA_NOTIFY_PRIVATE_HOSTS": "true",  # the receiver listens on 127.0.0.1
        "ARIA_NOTIFY_BACKOFF_SECONDS": "0.5",
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [_aria(), "notify", "deliver", "--interval", "0.2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.slow
def test_every_event_arrives_though_the_sender_is_killed_mid_send(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    ctx = make_context(engine)
    open_account(ctx, "ftmo-1")
    rng = random.Random(16)
    with receiver(delay=0.1) as hook:
        created = notifications.add_subscription(
            ctx, NewSubscription("alice", "webhook", hook.url, ("alert",), hook.secret)
        )
        with ctx.unit() as uow:
            now = uow.now()
            stored = uow.audit.append_events(
                [
                    AccountEvent("ftmo-1", "alert", "system", f"level {i}", now, {"n": i})
                    for i in range(EVENTS)
                ]
            )
            uow.commit()
        expected = {event.id for event in stored}
        log = tmp_path / "deliver.log"
        for _ in range(KILLS):
            process = _deliverer(url, log)
            # Kill while a POST is in flight: the receiver holds each one for 100 ms.
            assert hook.wait_for(len(hook.got) + rng.randint(2, 8), 60), log.read_text()
            time.sleep(rng.uniform(0, 0.08))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        process = _deliverer(url, log)
        try:
            deadline = time.monotonic() + 120
            while hook.ids() != expected and time.monotonic() < deadline:
                time.sleep(0.1)
            assert hook.ids() == expected, log.read_text()[-3000:]
            outbox = sa.table("notification_outbox", sa.column("status"))
            while time.monotonic() < deadline:
                with engine.connect() as connection:
                    statuses = connection.execute(sa.select(outbox.c.status)).scalars().all()
                if set(statuses) == {"delivered"}:
                    break
                time.sleep(0.1)
            assert sorted(statuses) == ["delivered"] * EVENTS
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    keys: dict[str, set[str]] = defaultdict(set)
    for received in hook.got:
        keys[received.body["id"]].add(received.key)
        assert received.signed
        assert received.body["idempotency_key"] == received.key
    # Duplicates are allowed (at least once), each carrying its event's one key.
    assert all(len(found) == 1 for found in keys.values())
    # Each kill landed while a POST was held: that row was sent again after its lease.
    assert len(hook.got) >= EVENTS + KILLS
    assert created.subscription.id
