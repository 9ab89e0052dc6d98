"""A recorded decision's inputs put back together: its own text and the shared parts it names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from aria.audit.chain import split_inputs
from aria.audit.records import Replayable, StoredDecision


def reassemble(
    stored: StoredDecision, record_format: int, inputs: str, parts: Mapping[str, str]
) -> Replayable:
    """``stored`` with its inputs rebuilt from its inputs text and the shared parts' texts by
    digest; a part missing or altered since it was written leaves the inputs out, saying why."""
    if record_format == 1:
        return Replayable(stored, json.loads(inputs), 1)
    own, refs = split_inputs(inputs)
    for name, ref in refs.items():
        values = []
        for digest in [ref] if isinstance(ref, str) else ref:
            body = parts.get(digest)
            if body is None:
                problem = "is missing"
            elif hashlib.sha256(body.encode()).hexdigest() != digest:
                problem = "was altered after it was written"
            else:
                values.append(json.loads(body))
                continue
            return Replayable(stored, None, record_format, f"its input part {name!r} {problem}")
        own[name] = values[0] if isinstance(ref, str) else values
    return Replayable(stored, own, record_format)
