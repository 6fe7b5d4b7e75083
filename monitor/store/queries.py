"""Read-side queries: stored matches, one article, watch feeds, metrics."""

from monitor.store.base import StoreBase


class QueryStore(StoreBase):
    """Use-case methods; see the module docstring."""
