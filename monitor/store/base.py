"""What every store mixin can rely on: the Database handle."""

from monitor.store.db import Database


class StoreBase:
    """Holds the Database; mixins add use-case methods."""

    def __init__(self, db: Database) -> None:
        self.db = db
