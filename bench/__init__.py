"""ARIA's benchmarks: ``python -m bench`` (``--quick`` for a short run)."""
