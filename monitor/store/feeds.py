"""Feeds and their health: config sync, claiming due feeds, recording polls."""

from monitor.store.base import StoreBase


class FeedStore(StoreBase):
    """Use-case methods; see the module docstring."""
