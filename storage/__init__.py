"""Persistence: the only package that speaks SQL."""

# Marks this package as ARIA's own (PyPI has an unrelated ``storage``); tests check it.
ARIA_PACKAGE = "storage"
