"""Package alerts (being written)."""
