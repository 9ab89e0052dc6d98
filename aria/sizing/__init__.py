"""The pure sizing pipeline: from an account, its rules and a market snapshot to a decision."""
