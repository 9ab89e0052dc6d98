"""Errors of the ``firms`` package.

The tree, by what the caller should do::

    FirmsError                       base; never raised itself
    ├── RuleFileError (ValueError)   a rule file that does not validate: fix the file named
    │                                in the message (it names file, firm, plan and field)
    ├── UnknownFirm (LookupError)    no firm with that id in the catalog: check the id
    ├── UnknownPlan (LookupError)    no such plan (or rulebook version) at the firm
    ├── UnknownPhase (LookupError)   the plan has no such phase
    ├── UnknownSize (LookupError)    the plan is not sold in that account size and one of
    │                                its amounts is only known per size
    ├── InvalidOption (ValueError)   an account's option the plan does not declare, or a
    │                                value that is not one of its choices
    ├── RefusedChange (ValueError)   a lifecycle change the account's phase or trading state
    │                                does not allow: promoting past the plan's last phase,
    │                                re-enabling a failed account unforced, changing an
    │                                archived one
    ├── InvalidCashFlow (ValueError) a cash flow the firm's rules do not allow (a payout
    │                                above the balance or into the payout buffer, a flow
    │                                older than the latest state): nothing was changed
    └── CalendarFileError (ValueError) an economic calendar file with a line that cannot be
                                     read: the message names every such line; nothing of
                                     the file is imported

Rule breaches and cross-account conflicts are findings returned as values, never errors.
"""

from __future__ import annotations

from collections.abc import Sequence


class FirmsError(Exception):
    """Base of every error raised by ``firms``."""


class RuleFileError(FirmsError, ValueError):
    """A rule file that cannot be used; every problem names file, plan and field."""

    def __init__(self, file: str, problems: Sequence[str]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{file}: {problem}" for problem in self.problems))


class UnknownFirm(FirmsError, LookupError):
    """No firm with that id is in the catalog."""


class UnknownPlan(FirmsError, LookupError):
    """The firm has no such plan or rulebook version."""


class UnknownPhase(FirmsError, LookupError):
    """The plan has no such phase."""


class UnknownSize(FirmsError, LookupError):
    """An amount of the plan is only known per account size, and not for this size."""


class InvalidOption(FirmsError, ValueError):
    """An account option the plan does not declare, or a value outside its choices."""


class RefusedChange(FirmsError, ValueError):
    """A lifecycle change the account's phase or trading state does not allow."""


class InvalidCashFlow(FirmsError, ValueError):
    """A cash flow that cannot be taken: it is refused and changes nothing."""


class CalendarFileError(FirmsError, ValueError):
    """An economic calendar file that cannot be read; every problem names its line. Nothing
    of the file is imported."""

    def __init__(self, file: str, problems: Sequence[str]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{file}: {problem}" for problem in self.problems))
