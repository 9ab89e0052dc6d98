"""The audit trail through the service: an untouched trail verifies and replays, and
checkpoints kept outside the store sign and verify its heads. (Tampering by SQL is tested on
real databases, in ``tests/integration``.)"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aria.service import audit, checkpoints, maintenance
from aria.service.context import Context
from aria.service.errors import InvalidInput
from storage.checkpoints import DirectoryCheckpoints
from tests.builders import ask, open_account, push, utc

KEY = "officer-secret"


def _history(ctx: Context, requests: int = 4) -> list[str]:
    open_account(ctx, "a")
    open_account(ctx, "b")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    push(ctx, "b", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    ids = []
    for index in range(requests):
        ids += [d.decision_id for d in ask(ctx, f"r{index}", ["a", "b"]).decisions]
    return ids


def test_an_untouched_trail_verifies_and_every_decision_replays(ctx: Context) -> None:
    _history(ctx, requests=3)
    report = audit.verify(ctx)
    assert report.ok, report.problem
    assert (report.accounts, report.decisions) == (2, 6)


def test_a_checkpoint_of_an_untouched_log_verifies(ctx: Context) -> None:
    _history(ctx)
    ctx.options = dataclasses.replace(ctx.options, audit_key=KEY)
    kept = checkpoints.parse(checkpoints.take(ctx).to_json())
    assert kept.signature is not None
    counts = {h.account_id: h.count for h in kept.heads}
    assert set(counts) == {"a", "b"}
    assert counts["a"] >= 4
    ask(ctx, "later", ["a"])  # the log grows past the checkpoint: still a prefix
    report = checkpoints.verify_against(ctx, kept)
    assert report.ok, report.problem
    assert report.signed
    assert (report.accounts, report.records) == (2, sum(counts.values()))


def test_a_checkpoint_whose_heads_were_edited_fails_its_signature(ctx: Context) -> None:
    _history(ctx)
    ctx.options = dataclasses.replace(ctx.options, audit_key=KEY)
    document = json.loads(checkpoints.take(ctx).to_json())
    document["heads"][0]["count"] = 3
    report = checkpoints.verify_against(ctx, checkpoints.parse(json.dumps(document)))
    assert not report.ok
    assert "signature does not match" in (report.problem or "")
    document["signature"] = None  # stripping the signature is no way around it
    report = checkpoints.verify_against(ctx, checkpoints.parse(json.dumps(document)))
    assert not report.ok
    assert "unsigned but ARIA_AUDIT_KEY is set" in (report.problem or "")


def test_without_a_key_the_checkpoint_is_unsigned_and_says_so(ctx: Context) -> None:
    _history(ctx)
    text = checkpoints.take(ctx).to_json()
    assert json.loads(text)["signature"] is None
    report = checkpoints.verify_against(ctx, checkpoints.parse(text))
    assert report.ok
    assert not report.signed
    with pytest.raises(InvalidInput, match="checkpoint"):
        checkpoints.parse('{"format": "aria-checkpoint/1"}')


def test_the_checkpoint_job_writes_one_file_per_hour(ctx: Context, tmp_path: Path) -> None:
    _history(ctx)
    assert maintenance.audit_checkpoint(ctx).skipped == 1  # no directory: off
    ctx.options = dataclasses.replace(ctx.options, audit_key=KEY)
    ctx.checkpoints = DirectoryCheckpoints(tmp_path / "kept")
    assert maintenance.audit_checkpoint(ctx).done == 1
    assert maintenance.audit_checkpoint(ctx).skipped == 1  # the hour's slot is claimed
    (written,) = (tmp_path / "kept").iterdir()
    assert written.name == "aria-checkpoint-20260602T090000Z.json"
    kept = checkpoints.parse(written.read_text())
    assert checkpoints.verify_against(ctx, kept).ok
