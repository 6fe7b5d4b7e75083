"""Package fetch (being written)."""
