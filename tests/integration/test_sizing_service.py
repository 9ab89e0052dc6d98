"""Sizing under concurrency on both databases: one decision per request id, and concurrent
requests that never together pass an account's headroom or close more than its position.
(Sizing's behaviour otherwise is tested on the in-memory store, in ``tests/service``.)"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from aria.service.context import Context
from tests.builders import ask, close, open_account, push, short_two_lots, utc

D = Decimal
# The ``ctx`` fixture's clock stands at 2026-06-02 09:00 UTC (``tests.clocks.START``).


def test_the_same_request_id_sent_concurrently_yields_one_decision(ctx: Context) -> None:
    open_account(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    start = threading.Barrier(8)

    def send(_: int) -> list[str]:
        start.wait()
        return [d.decision_id for d in ask(ctx, "dup", ["ftmo-1"]).decisions]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert len({tuple(a) for a in answers}) == 1
    with ctx.unit() as uow:
        assert len(uow.sizing.for_request("dup")) == 1


def test_concurrent_requests_never_exceed_the_headroom(ctx: Context) -> None:
    # Headroom: equity 100,000 − daily floor 97,000 = 3,000; each request risks exactly 1,000.
    open_account(ctx, "tight")
    push(ctx, "tight", 102_000, 100_000, utc(2026, 6, 2, 8, 59))  # carried floating loss
    with ctx.unit() as uow:
        tracker = uow.accounts.lock_trackers(["tight"])["tight"]
        uow.accounts.save_tracker(
            "tight",
            tracker.evolve(day=tracker.day.model_copy(update={"balance": D(102_000)})),
            utc(2026, 6, 2, 9),
        )
        uow.commit()
    start = threading.Barrier(16)

    def send(worker: int) -> Decimal:
        start.wait()
        (sized,) = ask(ctx, f"w-{worker}", ["tight"]).decisions
        return sized.decision

    with ThreadPoolExecutor(16) as pool:
        decisions = list(pool.map(send, range(16)))
    approved = [d for d in decisions if d.approved]
    rejected = [d for d in decisions if not d.approved]
    assert len(approved) == 3
    assert all(d.reject_codes == ["daily_loss_headroom"] for d in rejected)
    assert sum(d.risk_amount for d in approved) <= D(3_000)


def test_concurrent_reduce_only_requests_close_at_most_the_position(ctx: Context) -> None:
    short_two_lots(ctx, "rush")
    start = threading.Barrier(16)

    def send(worker: int) -> Decimal:
        start.wait()
        return close(ctx, f"rush-{worker}", "rush")

    with ThreadPoolExecutor(16) as pool:
        closed = list(pool.map(send, range(16)))
    assert sum(closed) == D(2)
    assert sorted(closed)[-1] == D(2)
