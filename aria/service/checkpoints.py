"""Audit checkpoints: a signed digest of every chain head, kept by a risk officer outside ARIA.

A checkpoint lists, per account, how many records its chain held and the hash of the last
one. Later, :func:`verify_against` proves the log still holds that checkpoint as a prefix:
the record at each checkpointed position still has the checkpointed hash, and every chain
still links from its first record to its head. Cutting a tail and fixing the stored head,
or deleting a record and re-hashing everything after it, changes a checkpointed hash and
fails, however consistent the database is with itself.

The signature is HMAC-SHA256 under ``ARIA_AUDIT_KEY`` over the checkpoint's canonical JSON
(everything but the signature). Without a key the checkpoint is unsigned and says so; it
still proves the prefix, but only as well as the file was kept. With a key, an unsigned
checkpoint is refused, so stripping the signature is no way around it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from aria.service.audit import VerifyReport, verify
from aria.service.context import Context
from aria.service.errors import InvalidInput
from aria.service.ports import UnitOfWork

FORMAT = "aria-checkpoint/1"
ALGORITHM = "HMAC-SHA256"
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Head:
    """One account's chain head: ``count`` records, the last of which has hash ``head``."""

    account_id: str
    count: int
    head: str


@dataclass(frozen=True)
class Checkpoint:
    """Every chain head at one moment, and the signature over them (``None``: unsigned)."""

    taken_at: dt.datetime
    heads: tuple[Head, ...]
    signature: str | None = None

    def body(self) -> str:
        """The canonical JSON the signature covers."""
        return json.dumps(
            {
                "format": FORMAT,
                "taken_at": self.taken_at.astimezone(dt.UTC).isoformat(),
                "heads": [
                    {"account_id": h.account_id, "count": h.count, "head": h.head}
                    for h in self.heads
                ],
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def to_json(self) -> str:
        """The checkpoint as the JSON document a risk officer keeps."""
        document = json.loads(self.body())
        document["signature"] = (
            {"algorithm": ALGORITHM, "value": self.signature} if self.signature else None
        )
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _mac(key: str, body: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


def sign(checkpoint: Checkpoint, key: str | None) -> Checkpoint:
    """``checkpoint`` signed with ``key`` (unsigned when there is no key)."""
    if not key:
        return Checkpoint(checkpoint.taken_at, checkpoint.heads, None)
    return Checkpoint(checkpoint.taken_at, checkpoint.heads, _mac(key, checkpoint.body()))


def parse(text: str) -> Checkpoint:
    """A checkpoint from its JSON document; anything else is :class:`InvalidInput`."""
    try:
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"not an {FORMAT} document")
        if set(document) != {"format", "taken_at", "heads", "signature"}:
            raise ValueError("unexpected or missing fields")
        taken_at = dt.datetime.fromisoformat(document["taken_at"])
        if taken_at.tzinfo is None:
            raise ValueError("taken_at has no offset")
        heads = tuple(_head(item) for item in document["heads"])
        signature = document["signature"]
        if signature is not None:
            if signature.get("algorithm") != ALGORITHM or not _HASH.fullmatch(
                str(signature.get("value"))
            ):
                raise ValueError(f"the signature is not {ALGORITHM}")
            signature = signature["value"]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInput(f"checkpoint: {exc}") from None
    return Checkpoint(taken_at, heads, signature)


def _head(item: Any) -> Head:
    if set(item) != {"account_id", "count", "head"}:
        raise ValueError("a head needs account_id, count and head")
    account, count, head = item["account_id"], item["count"], item["head"]
    if not isinstance(account, str) or not account:
        raise ValueError("a head's account_id is not an id")
    if type(count) is not int or count < 0 or not _HASH.fullmatch(str(head)):
        raise ValueError(f"the head of {account} is not a count and a hash")
    return Head(account, count, head)


def take_in(uow: UnitOfWork, key: str | None) -> Checkpoint:
    """A checkpoint of every chain head as ``uow`` sees them, signed with ``key``."""
    heads = tuple(Head(*row) for row in uow.audit.heads())
    return sign(Checkpoint(uow.now(), heads), key)


def take(ctx: Context) -> Checkpoint:
    """A checkpoint of every chain head now, signed with the configured audit key."""
    with ctx.read_unit() as uow:
        return take_in(uow, ctx.options.audit_key)


def file_name(checkpoint: Checkpoint) -> str:
    """The name a checkpoint is kept under: sortable by when it was taken."""
    return f"aria-checkpoint-{checkpoint.taken_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.json"


@dataclass(frozen=True)
class CheckpointReport:
    """Whether the log still holds a checkpoint as a prefix, and the full verification."""

    ok: bool
    signed: bool
    accounts: int
    records: int
    problem: str | None = None
    verified: VerifyReport | None = None


def _signature_problem(checkpoint: Checkpoint, key: str | None) -> str | None:
    if checkpoint.signature is None:
        # With a key, an unsigned file may be a signed one whose signature was stripped.
        return "the checkpoint is unsigned but ARIA_AUDIT_KEY is set" if key else None
    if not key:
        return "the checkpoint is signed but ARIA_AUDIT_KEY is not set, so it cannot be checked"
    if not hmac.compare_digest(_mac(key, checkpoint.body()), checkpoint.signature):
        return "its signature does not match (altered, or signed with another key)"
    return None


def verify_against(ctx: Context, checkpoint: Checkpoint) -> CheckpointReport:
    """Prove the log still contains ``checkpoint`` as a prefix, then verify it all."""
    signed = checkpoint.signature is not None
    total = sum(h.count for h in checkpoint.heads)
    accounts = len(checkpoint.heads)
    problem = _signature_problem(checkpoint, ctx.options.audit_key)
    if problem is not None:
        return CheckpointReport(False, signed, accounts, total, f"checkpoint: {problem}")
    with ctx.read_unit() as uow:
        for head in checkpoint.heads:
            if head.count == 0:
                continue
            found = uow.audit.hash_at(head.account_id, head.count)
            if found is None:
                return CheckpointReport(
                    False,
                    signed,
                    accounts,
                    total,
                    f"account {head.account_id}: record {head.count} of the checkpoint is missing"
                    " (the chain was cut or deleted)",
                )
            if found != head.head:
                return CheckpointReport(
                    False,
                    signed,
                    accounts,
                    total,
                    f"account {head.account_id}: record {head.count} no longer has the"
                    " checkpointed hash (the chain was rewritten)",
                )
    # The checkpointed hashes are where they were; the chains must still link up to them.
    report = verify(ctx)
    return CheckpointReport(report.ok, signed, accounts, total, report.problem, report)
