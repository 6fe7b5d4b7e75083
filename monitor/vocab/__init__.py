"""Package vocab (being written)."""
