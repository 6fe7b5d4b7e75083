"""PostgreSQL LISTEN/NOTIFY: a wake-up whenever any process commits new outbox rows."""

import asyncio
import logging
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from monitor.store.db import Database

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "monitor_outbox"  # notified by the trigger of migration 0008


async def listen_outbox(db: Database, wake: Callable[[], None], *, retry: float = 5.0) -> None:
    """Call `wake()` for each transaction that inserts outbox rows, until cancelled.

    PostgreSQL only (a no-op elsewhere: SQLite has no notifications, and the tick covers
    other processes). A lost connection is opened again after `retry` seconds.
    """
    if db.dialect != "postgresql":
        return
    url = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
                async for _ in conn.notifies():
                    wake()
        except psycopg.Error as exc:
            log.warning("outbox.listen_failed error=%s", type(exc).__name__)
        await asyncio.sleep(retry)
