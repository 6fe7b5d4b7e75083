"""Articles: which items are new, and storing an article with its tags, matches and alerts."""

from monitor.store.base import StoreBase


class ArticleStore(StoreBase):
    """Use-case methods; see the module docstring."""
