"""One table of the errors raised below the faces, and how the API and the CLI answer each.

An error class added to the service, storage, firms or sizing tree gets its row here, and
both faces translate it alike: the HTTP status and error code of the API, the exit code and
title of the CLI. A class without a row of its own takes its nearest ancestor's. This module
imports no web framework, so the command line can use it without loading one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aria.service.errors import Conflict, Forbidden, InvalidInput, NotFound
from aria.sizing.errors import SizingError
from firms.errors import (
    FirmsError,
    RefusedChange,
    UnknownFirm,
    UnknownPhase,
    UnknownPlan,
    UnknownSize,
)
from storage.errors import Conflict as StorageConflict
from storage.errors import Missing, Refused, StorageError, Unavailable


@dataclass(frozen=True)
class Answer:
    """How the faces answer one kind of error."""

    status: int  # the API's HTTP status
    exit_code: int  # the CLI's exit code (1 is kept for checks that fail, not for errors)
    code: str  # the API's machine-readable error code
    title: str  # a short title a person reads


NOT_FOUND = Answer(404, 2, "not_found", "not found")
FORBIDDEN = Answer(403, 2, "forbidden", "forbidden")
CONFLICT = Answer(409, 2, "conflict", "conflict")
INVALID = Answer(422, 2, "invalid_input", "invalid input")
UNAVAILABLE = Answer(503, 2, "unavailable", "database unavailable")

TABLE: Mapping[type[Exception], Answer] = {
    # The service: what the caller should do.
    NotFound: NOT_FOUND,
    Forbidden: FORBIDDEN,
    Conflict: CONFLICT,
    InvalidInput: INVALID,
    # The firm catalog: an unknown id is not found, a lifecycle change the account's state
    # refuses is a conflict, anything else is input to fix.
    UnknownFirm: NOT_FOUND,
    UnknownPlan: NOT_FOUND,
    UnknownPhase: NOT_FOUND,
    UnknownSize: NOT_FOUND,
    RefusedChange: CONFLICT,
    FirmsError: INVALID,
    # The sizing pipeline: a request or a file to fix.
    SizingError: INVALID,
    # Storage: nothing was written; a conflict is not retried as is, a record that is not
    # stored is not found, the rest is retried later.
    StorageConflict: CONFLICT,
    Missing: NOT_FOUND,
    Refused: INVALID,
    Unavailable: UNAVAILABLE,
    StorageError: UNAVAILABLE,
}

# Every error the faces translate, for ``except`` clauses.
TRANSLATED: tuple[type[Exception], ...] = tuple(TABLE)


def answer_for(error: BaseException) -> Answer | None:
    """The answer to ``error``, from its own row or its nearest ancestor's (``None``: none)."""
    for kind in type(error).__mro__:
        if kind in TABLE:
            return TABLE[kind]
    return None


_INTERNALS = (
    re.compile(r"\s*For further information visit https?://errors\.pydantic\.dev\S*"),
    # The bracket closes its line; an input value inside it may hold brackets of its own.
    re.compile(r"[ \t]*\[type=[^\n]*\]"),
    re.compile(r"\s*\d+ validation errors? for \w+"),
    re.compile(r" or instance of \w+"),
)


def clean(message: str) -> str:
    """A message without the validation library's internals: no links to its error pages, no
    ``[type=…, input_value=…]`` fragments, no model class names."""
    for pattern in _INTERNALS:
        message = pattern.sub("", message)
    return " ".join(message.split())
