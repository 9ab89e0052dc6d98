"""Reports: self-contained HTML for compliance reviews."""
