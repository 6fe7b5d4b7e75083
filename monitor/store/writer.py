"""One writer thread for SQLite that takes turns between keys (round robin), not arrivals.

SQLite has one writer at a time, so the Store runs the writes handed to `Store.submit` on
one thread (created on the first one). In arrival order, a feed that queues hundreds of
article writes at once makes every other feed's write (its poll's outcome, the daemon's lease
renewals and claims, the relay's claims and outcomes) wait behind all of them. Here each key
(a feed name; "pipeline:articles" for the articles of all feeds, which the pipeline hands
over together; "" for the daemon's own writes; "relay:<channel>" for the relay's) has its
own queue and the thread runs one job of each waiting key in turn: a write waits for at most
one job per other busy key.
"""

import concurrent.futures
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_Job = tuple[Callable[[], Any], "concurrent.futures.Future[Any]"]


class FairWriter:
    """A single worker thread whose queue is fair between keys."""

    def __init__(self, name: str = "monitor-writer") -> None:
        self._queues: dict[str, deque[_Job]] = {}
        self._turns: deque[str] = deque()  # keys with queued jobs, in turn order
        self._lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, key: str, call: Callable[[], Any]) -> "concurrent.futures.Future[Any]":
        """Queue `call` under `key`; its future completes once it ran on the writer thread."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("FairWriter is shut down")
            queue = self._queues.get(key)
            if queue is None:
                queue = self._queues[key] = deque()
                self._turns.append(key)
            queue.append((call, future))
            self._lock.notify()
        return future

    def is_current(self) -> bool:
        """True on the writer thread itself (where waiting for a queued job would hang)."""
        return threading.current_thread() is self._thread

    def pending(self) -> dict[str, int]:
        """Jobs waiting per key (for tests and diagnostics)."""
        with self._lock:
            return {key: len(queue) for key, queue in self._queues.items()}

    def _next(self) -> _Job | None:
        with self._lock:
            while not self._turns:
                if self._closed:
                    return None
                self._lock.wait()
            key = self._turns.popleft()
            queue = self._queues[key]
            job = queue.popleft()
            if queue:
                self._turns.append(key)  # its next job waits for every other key's turn
            else:
                del self._queues[key]
            return job

    def _work(self) -> None:
        while (job := self._next()) is not None:
            call, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            except BaseException as exc:  # handed to the waiting coroutine, as an executor does
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True) -> None:
        """Run what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if wait:
            self._thread.join()
