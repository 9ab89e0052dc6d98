"""Errors of the service layer.

The tree, by what the caller should do (and the HTTP status the API gives it)::

    ServiceError                  base; never raised itself
    ├── NotFound (LookupError)    an unknown account, decision or symbol: check the id (404)
    ├── Forbidden                 the caller's key may not act on this account (403)
    ├── Conflict                  the request contradicts what is stored — a request id reused
    │                             for a different request, an out-of-order state push, an
    │                             account id taken: do not retry as is (409)
    └── InvalidInput (ValueError) a command that cannot be carried out as given — an unknown
                                  firm, plan or phase, a stop on the wrong side: fix it (422)

A database that cannot be reached is ``storage.errors.Unavailable`` (503): nothing was
written, retry later — unless the connection failed during the commit
(``storage.errors.OutcomeUnknown``, also 503): then the outcome is unknown, and a retry with
the same request id returns the stored decision if there is one. Rejected trades are
decisions, not errors. How the API and the CLI answer each error is one table,
``aria.api.error_table``; a message never carries pydantic's wording or links (:func:`reason`).
"""

from __future__ import annotations

from pydantic import ValidationError


class ServiceError(Exception):
    """Base of every error raised by ``aria.service``."""


class NotFound(ServiceError, LookupError):
    """No such account, decision or symbol."""


class Forbidden(ServiceError):
    """The caller may not act on this account."""


class Conflict(ServiceError):
    """The command contradicts stored state."""


class InvalidInput(ServiceError, ValueError):
    """The command cannot be carried out as given."""


def plain(error: ValidationError) -> tuple[str, str]:
    """The first problem of a pydantic error as (field, message), without pydantic's wording."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    message = "unknown field" if first["type"] == "extra_forbidden" else str(first["msg"])
    return field, message.removeprefix("Value error, ")


def reason(error: ValueError) -> str:
    """A value error's message as a person reads it: never pydantic's internals or links."""
    return plain(error)[1] if isinstance(error, ValidationError) else str(error)
