"""The audit trail, pure: what is recorded, how it is queried, how its chain links and verifies."""
