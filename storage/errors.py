"""Errors of the ``storage`` package.

The tree, by what the caller should do::

    StorageError                base; never raised itself
    ├── Unavailable             the database cannot be reached or went away mid-request:
    │   │                       nothing was written; retry later (HTTP 503)
    │   └── OutcomeUnknown      the connection failed during COMMIT: the transaction may or
    │                           may not have been written; retry with the same request id
    ├── Conflict                a concurrent request stored a conflicting row first (a
    │                           unique key): nothing was written; do not retry as is (409)
    ├── Refused                 the database refused a value (out of its column's range):
    │                           nothing was written; fix the input (422)
    ├── Missing (LookupError)   a write named an account or tracker that is not stored
    └── SchemaError             the database schema is missing or behind the code: run
                                ``aria db upgrade``

Expected outcomes (a request id already used, a job slot already claimed) are return values
of the repositories, never errors.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error raised by ``storage``."""


class Unavailable(StorageError):
    """The database cannot be reached; nothing was written."""


class SchemaError(StorageError):
    """The schema is missing or not at the code's revision."""


class OutcomeUnknown(Unavailable):
    """The commit was sent but its answer was lost: it may or may not have been written."""


class Conflict(StorageError):
    """A concurrent write stored a conflicting row first; nothing was written."""


class Refused(StorageError):
    """The database refused a value; nothing was written."""


class Missing(StorageError, LookupError):
    """A write named a record that is not stored (an account, a tracker); nothing was written."""
