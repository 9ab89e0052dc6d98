"""The sizing rules, as three tables in the order a decision applies them.

- ``GATES`` (:mod:`aria.sizing.gates`): rejections that do not depend on the size.
- ``ADJUSTERS`` (:mod:`aria.sizing.adjusters`): factors that shrink the base size.
- ``LIMITS`` (:mod:`aria.sizing.limits`): the most lots each limit allows; the firm's in
  ``limits/firm.py``, the profile's and margin in ``limits/profile.py``, the loss floors in
  ``limits/floors.py``.

Each rule is one object holding its name, its reject codes, its scalar form and its form
over a fan-out (or a mark that it is scalar-only). :func:`aria.sizing.pipeline.decide` and
:func:`aria.sizing.batch.decide_batch` both iterate these tables, so a rule added to its
table is applied by both, in the same place of the order.

To add a firm limit: one class in ``limits/firm.py`` with its ``names`` and ``codes``, its
``bounds`` (the room in ``Decimal``, with its reason) and either ``prepare`` + ``columns``
(its room over a fan-out) or ``vectorised = False`` + ``fallback`` (the accounts the fan-out
hands to the pipeline); then its place in ``FIRM``, in the same file. ``tests/unit/sizing/
test_rules.py`` checks that it has one form or the other, and the engines' equivalence tests
that both forms agree.
"""

from __future__ import annotations

from aria.sizing.adjusters import ADJUSTERS, Adjuster
from aria.sizing.gates import GATES, GateRule
from aria.sizing.limits import LIMITS, Limit

__all__ = ["ADJUSTERS", "GATES", "LIMITS", "Adjuster", "GateRule", "Limit"]
