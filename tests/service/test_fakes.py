"""The fakes keep the promises of the ports: commits, rollbacks, claims, live reservations, and
an audit chain that verifies, and that finds a change made behind the service's back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.tracker import Tracker
from aria.service import audit
from aria.service.context import Context
from storage.errors import Conflict, Missing
from tests.builders import ask, open_account, push, utc
from tests.clocks import FixedClock, SettableClock
from tests.fakes import FakeStore
from tests.integration import test_storage as storage_tests

D = Decimal


def test_changes_are_seen_by_other_units_only_once_committed(
    ctx: Context, store: FakeStore
) -> None:
    open_account(ctx, "a")
    with ctx.unit() as writer:
        account = writer.accounts.get("a")
        assert account is not None
        writer.accounts.save(account.model_copy(update={"label": "renamed"}), writer.now())
        with ctx.unit() as other:  # a second unit in the same thread sees the committed rows
            seen = other.accounts.get("a")
            assert seen is not None
            assert seen.label != "renamed"
        writer.commit()
        with ctx.unit() as other:
            seen = other.accounts.get("a")
            assert seen is not None
            assert seen.label == "renamed"


def test_leaving_without_a_commit_and_rolling_back_discard_the_changes(ctx: Context) -> None:
    with ctx.unit() as uow:
        assert uow.sizing.claim_request("r-1", "h", {}, uow.now())
    with ctx.unit() as uow:
        assert uow.sizing.request_hash("r-1") is None
        assert uow.sizing.claim_request("r-1", "h", {}, uow.now())
        uow.rollback()
        assert uow.sizing.request_hash("r-1") is None
    with pytest.raises(RuntimeError):
        uow.sizing.request_hash("r-1")  # a repository outlives its unit only to say so


def test_a_failing_use_case_leaves_nothing_behind(ctx: Context, store: FakeStore) -> None:
    open_account(ctx, "a")
    before = (store.count("events"), store.count("state_records"))

    def half_done() -> None:
        with ctx.unit() as uow:
            uow.audit.append_event("a", "note", {}, "ops", "half done", uow.now())
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        half_done()
    assert (store.count("events"), store.count("state_records")) == before


def test_request_ids_are_claimed_once_per_scope(ctx: Context) -> None:
    with ctx.unit() as uow:
        now = uow.now()
        assert uow.sizing.claim_request("same", "h1", {"n": 1}, now)
        assert not uow.sizing.claim_request("same", "h2", {"n": 2}, now)
        assert uow.sizing.claim_request("same", "h3", {"n": 3}, now, scope="owner:bob")
        assert uow.sizing.request_hash("same") == "h1"
        assert uow.sizing.request_hash("same", scope="owner:bob") == "h3"
        uow.commit()


def test_reservations_are_live_until_they_expire_by_the_units_time(
    ctx: Context, clock: SettableClock
) -> None:
    open_account(ctx, "r")
    push(ctx, "r", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    (sized,) = ask(ctx, "hold", ["r"]).decisions
    ttl = dt.timedelta(seconds=ctx.options.reservation_ttl_seconds)
    with ctx.unit() as uow:
        (live,) = uow.sizing.live_reservations(["r"], uow.now())["r"]
        assert live.decision_id == sized.decision_id
        assert live.expires_at == utc(2026, 6, 2, 9) + ttl
        assert uow.sizing.live_reservations(["r"], utc(2026, 6, 2, 9) + ttl)["r"] == []
    clock.tick(ttl)
    with ctx.unit() as uow:
        assert uow.sizing.expire_reservations(uow.now()) == 1
        uow.commit()
    with ctx.unit() as uow:
        assert uow.sizing.expire_reservations(uow.now()) == 0
    assert audit.verify(ctx, "r").ok


def test_a_units_time_is_read_once_and_must_be_aware(store: FakeStore) -> None:
    clock = SettableClock("2026-06-02T11:00:00+02:00")
    with store.unit(clock) as uow:
        first = uow.now()
        clock.tick(60)
        assert uow.now() == first == utc(2026, 6, 2, 9)
        assert first.tzinfo is dt.UTC
        uow.commit()
        assert uow.now() == first + dt.timedelta(seconds=60)  # a new transaction, a new time
    with store.unit(FixedClock(dt.datetime(2026, 6, 2, 9))) as uow:
        assert uow.now() == utc(2026, 6, 2, 9)  # naive text and times are taken as UTC
    with store.unit(_NaiveClock()) as uow, pytest.raises(ValueError, match="naive"):
        uow.now()


class _NaiveClock:
    """What a careless clock would give: a time without its zone."""

    def now(self) -> dt.datetime:
        return dt.datetime(2026, 6, 2, 9)


def test_the_chain_links_by_the_audit_rules_and_verifies(ctx: Context) -> None:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    ask(ctx, "one", ["a"])
    ask(ctx, "two", ["a"])
    report = audit.verify(ctx, "a")
    assert report.ok, report.problem
    assert report.decisions == 2
    with ctx.unit() as uow:
        ((account_id, count, last),) = uow.audit.heads()
        assert account_id == "a"
        assert uow.audit.hash_at("a", count) == last
        assert uow.audit.hash_at("a", count + 1) is None


def test_a_decision_edited_behind_the_service_is_found(ctx: Context, store: FakeStore) -> None:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    (sized,) = ask(ctx, "one", ["a"]).decisions
    store.edit("decisions", sized.decision_id, lots=D("5"))
    report = audit.verify(ctx, "a")
    assert not report.ok
    assert report.problem is not None
    assert f"decision {sized.decision_id}" in report.problem


def test_a_tracker_edited_behind_the_service_is_found(ctx: Context, store: FakeStore) -> None:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    store.edit("trackers", "a", peak_eod_balance=D("90000"))
    report = audit.verify(ctx, "a")
    assert not report.ok
    assert report.problem is not None
    assert "tracker row differs from its last chained record (peak_eod_balance)" in report.problem


def test_adding_an_account_twice_or_saving_an_unknown_one_is_refused(ctx: Context) -> None:
    open_account(ctx, "a")
    with ctx.unit() as uow:
        account = uow.accounts.get("a")
        assert account is not None
        with pytest.raises(Conflict):
            uow.accounts.add(account, Tracker.start(D(100_000)), uow.now())
        with pytest.raises(Missing):
            uow.accounts.save(account.model_copy(update={"id": "ghost"}), uow.now())
        with pytest.raises(Missing):
            uow.accounts.save_tracker("ghost", Tracker.start(D(1)), uow.now())


# The repositories' own tests on the databases hold for the fakes too.


def test_one_load_gives_a_fan_out_everything_it_decides_from_as_storage_does(
    ctx: Context,
) -> None:
    storage_tests.test_one_load_gives_a_fan_out_everything_it_decides_from(ctx)


def test_writes_naming_what_is_not_stored_raise_the_storage_error_as_storage_does(
    ctx: Context,
) -> None:
    storage_tests.test_writes_naming_what_is_not_stored_raise_the_storage_error(ctx)


def test_chain_heads_are_forgotten_when_a_transaction_ends_as_in_storage(ctx: Context) -> None:
    storage_tests.test_chain_heads_are_forgotten_when_a_transaction_ends(ctx)
