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
decisions, not errors.
"""

from __future__ import annotations


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
