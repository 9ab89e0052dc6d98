"""Errors of the sizing pipeline.

The tree, by what the caller should do::

    SizingError                          base; never raised itself
    ├── InvalidRequest (ValueError)      a request that cannot be sized as given (a stop on
    │                                    the wrong side, no stop and no ATR): fix the request
    ├── UnknownInstrument (LookupError)  no such symbol in the instrument catalog
    ├── InstrumentFileError (ValueError) a user instrument file that does not validate
    ├── UnknownPreset (LookupError)      no sizing preset of that name
    ├── ProfileError (ValueError)        a profile layer with an unknown key, method or value
    └── ScenarioError (ValueError)       a scenario document that does not validate; the
                                         message names the field

A trade that must not be placed is not an error: it is a rejected ``Decision`` with
reason codes.
"""

from __future__ import annotations


class SizingError(Exception):
    """Base of every error raised by ``aria.sizing``."""


class InvalidRequest(SizingError, ValueError):
    """A trade request that cannot be sized as given."""


class UnknownInstrument(SizingError, LookupError):
    """No instrument with that symbol."""


class InstrumentFileError(SizingError, ValueError):
    """A user instrument file that does not validate."""


class UnknownPreset(SizingError, LookupError):
    """No sizing preset with that name."""


class ProfileError(SizingError, ValueError):
    """A profile (after layering) that does not validate."""


class ScenarioError(SizingError, ValueError):
    """A scenario document that does not validate."""
