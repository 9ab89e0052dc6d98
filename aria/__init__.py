"""ARIA, the Adaptive Risk Intelligence Agent.

Deliberately imports nothing: ``aria.sizing`` (pure), ``aria.service`` and the faces are
separate layers, and importing one must not drag in another.
"""

__version__ = "0.1.0"
