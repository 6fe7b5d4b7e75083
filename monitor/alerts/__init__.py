"""Alert delivery: the outbox relay and one module per channel type (webhook, email)."""
