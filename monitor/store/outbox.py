"""The alert outbox: claiming rows with a lease, recording attempts, listing and replaying."""

from monitor.store.base import StoreBase


class OutboxStore(StoreBase):
    """Use-case methods; see the module docstring."""
