"""The only package that touches the database: one Store with methods named for use cases."""

from monitor.store.articles import ArticleStore
from monitor.store.backfill import BackfillStore
from monitor.store.control import ControlStore
from monitor.store.db import Database
from monitor.store.desk import DeskStore
from monitor.store.feeds import FeedStore
from monitor.store.outbox import OutboxStore
from monitor.store.prune import PruneStore
from monitor.store.queries import QueryStore
from monitor.store.retag import RetagStore
from monitor.store.trends import TrendStore

__all__ = ["Database", "Store"]


class Store(FeedStore, ArticleStore, OutboxStore, QueryStore, RetagStore, DeskStore,
            BackfillStore, ControlStore, PruneStore, TrendStore):
    """Every use case over one Database; construct with `Store(Database(url))`."""
