"""Use cases: the transactional shell around the pure core, talking to storage via Protocols."""
