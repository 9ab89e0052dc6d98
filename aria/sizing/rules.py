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
"""

from __future__ import annotations

from aria.sizing.adjusters import ADJUSTERS, Adjuster
from aria.sizing.gates import GATES, GateRule
from aria.sizing.limits import LIMITS, Limit

__all__ = ["ADJUSTERS", "GATES", "LIMITS", "Adjuster", "GateRule", "Limit"]
