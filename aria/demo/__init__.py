"""The demo: a fresh ARIA on real bars, six accounts, three signals, one report."""
