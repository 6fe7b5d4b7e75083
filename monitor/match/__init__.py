"""Package match (being written)."""
