"""Pure article extraction (trafilatura on bytes), and a process pool with a per-page timeout."""

import asyncio
import logging
import multiprocessing
import os
import pickle
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from types import TracebackType
from typing import Any, Self

import trafilatura
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, Extractor, set_date_params
from trafilatura.utils import line_processing, load_html

from monitor import stories
from monitor.errors import ExtractError
from monitor.owner import process_start
from monitor.types import Article

log = logging.getLogger(__name__)

# Chosen on the Article Extraction Benchmark (bench/bench_extract.py, BENCHMARKS.md): precision
# first, in trafilatura's fast mode (no comparison with its readability/justext fallbacks: 0.7x
# the time at the same F1); a page where the fast pass finds nothing gets the full cascade
# (SETTINGS without `fast`). When the text is under SHORT characters, a recall-oriented pass
# that finds at least twice as much wins (a precise pass sometimes keeps only a teaser).
SETTINGS: dict[str, Any] = {"favor_precision": True, "include_comments": False}
FAST_SETTINGS: dict[str, Any] = {**SETTINGS, "fast": True}
RECALL_SETTINGS: dict[str, Any] = {"favor_recall": True, "include_comments": False, "fast": True}
SHORT = 1000
_DEFAULTS = Extractor()  # trafilatura's defaults (its settings.cfg), as bare_extraction uses
_EXTENSIVE_DATES = _DEFAULTS.config.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")
# Short lines of sharing, subscription and credit furniture that slip through extraction.
_FURNITURE = re.compile(
    r"^\W*(like this (story|article)|share (this|it)\b|tell us what|sign up\b|subscribe\b"
    r"|read more\b|related\b|also on\b|advertisement\b|tags?\b\W*$|updated( at| on)?\b"
    r"|click here|follow us|copyright|©|all rights reserved|get .* delivered|\[button)",
    re.IGNORECASE,
)
_FURNITURE_MAX = 200
_LANG = re.compile(
    rb"""<html\b[^>]*?\s(?:xml:)?lang\s*=\s*["']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*""",
    re.IGNORECASE,
)
_META_LANG = re.compile(
    rb"""<meta\b[^>]*?(?:http-equiv\s*=\s*["']?content-language|property\s*=\s*["']?og:locale)"""
    rb"""[^>]*?content\s*=\s*["']?([A-Za-z]{2,3})""",
    re.IGNORECASE,
)


def page_language(html: bytes) -> str | None:
    """The page's declared language (html lang, Content-Language meta or og:locale), lower-case."""
    head = html[:16384]
    found = _LANG.search(head) or _META_LANG.search(head)
    return found.group(1).decode("ascii").lower() if found else None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def extract_article(html: str | bytes, url: str | None = None) -> Article | None:
    """The main text and metadata of one HTML page, or None when it holds no article text.

    Never fetches anything: trafilatura works on the given bytes only. The page is parsed
    once; the text comes from trafilatura's extraction on a copy of that tree, the metadata
    from `_metadata` (trafilatura's own steps for the fields an Article has, nothing else).
    """
    data = html.encode("utf-8") if isinstance(html, str) else html
    if not data.strip():
        return None
    tree = load_html(data, _DEFAULTS.max_file_size)
    if tree is None:
        return None
    meta = _metadata(tree, url)
    text = main_text(tree, url)
    if not text:
        return None
    if len(text) < SHORT:
        wider = trafilatura.extract(tree, url=url, **RECALL_SETTINGS) or ""
        if len(wider) > 2 * len(text):
            text = wider
    kept = _text(drop_furniture(text))
    if kept is None:
        return None
    return Article(
        url=url,
        title=_text(meta.title),
        author=_text(meta.author),
        published=_date(meta.date),
        language=page_language(data),
        text=kept,
    )


def main_text(tree: Any, url: str | None) -> str:
    """The precision pass's text: fast mode, or the full cascade when fast mode finds nothing.

    trafilatura copies `tree` before it prunes, so the caller's tree stays whole.
    """
    for settings in (FAST_SETTINGS, SETTINGS):
        document = trafilatura.bare_extraction(tree, url=url, **settings)
        text = _text(getattr(document, "text", None)) if document is not None else None
        if text:
            return text
    return ""


def _clean(value: Any) -> str | None:
    """trafilatura's Document.clean_and_trim for one field."""
    if not isinstance(value, str):
        return None
    text = value[:9999] + "\u2026" if len(value) > 10000 else value
    cleaned: str | None = line_processing(unescape(text))
    return cleaned


def _metadata(tree: Any, url: str | None) -> Document:
    """Title, author and date as trafilatura.metadata.extract_metadata finds them.

    The same steps in the same order, without the ones whose fields an Article drops
    (site name, categories, tags, licence, ...): a third of the metadata time. trafilatura
    never fills `language` there. tests/test_extract.py checks equality with the full call.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura tolerates bugs in its JSON-LD code the same way
        log.debug("extract.json_metadata_failed")
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author:
        meta.author = extract_author(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    # per call, as trafilatura does: its date params carry today's date as the latest allowed
    meta.date = find_date(tree, **{**set_date_params(_EXTENSIVE_DATES), "url": meta.url})
    meta.title, meta.author, meta.date = (
        _clean(meta.title),
        _clean(meta.author),
        _clean(meta.date),
    )
    return meta


def drop_furniture(text: str) -> str:
    """`text` without short sharing/subscription/credit lines."""
    return "\n".join(
        line
        for line in text.split("\n")
        if len(line) >= _FURNITURE_MAX or not _FURNITURE.search(line)
    )


def _safe_extract(html: bytes, url: str | None) -> Article | None:
    """Worker entry point: a page that crashes the extractor is a page without an article."""
    try:
        return extract_article(html, url)
    except Exception as exc:  # trafilatura/lxml raise many types on odd markup: "no article"
        log.warning("extract.failed url_host=%s error=%s", _host(url), type(exc).__name__)
        return None


@dataclass(frozen=True, slots=True)
class Extracted:
    """A page's article and, when it has text, the story identity of that text (with the
    feed item's title and the page's as the headlines `stories.story_text` drops)."""

    article: Article | None
    story: stories.Identity | None


def _extract_story(
    target: Callable[[bytes, str | None], Article | None],
    html: bytes,
    url: str | None,
    title: str | None,
) -> Extracted:
    """Worker entry point of `ExtractorPool.extract_story`: the story's fingerprint and sketch
    are made here, beside the extraction, not in the daemon. A failure there leaves them to
    the daemon (story None), which then fails or succeeds as it would have."""
    article = target(html, url)
    if article is None or not article.text.strip():
        return Extracted(article, None)
    try:
        story = stories.identify(article.text, title, article.title)
    except Exception:  # the daemon identifies it again (and logs what fails there)
        story = None
    return Extracted(article, story)


def _host(url: str | None) -> str:
    return re.sub(r"^[a-z]+://([^/?#]*).*$", r"\1", url or "", flags=re.IGNORECASE) or "-"


def _warm() -> None:
    """Pay trafilatura's and the story sketches' first-call costs once per process."""
    extract_article(b"<html><body><article><p>warm up</p></article></body></html>")
    stories.identify("the extraction worker warms up its story sketches")


def _start_worker(daemon_pid: int, tables: stories.SketchTables | None = None) -> None:
    """Worker initializer: end with the daemon, however it ends, then warm up (`tables`:
    the daemon's story sketch tables, so the worker does not load datasketch for them).

    Workers are children of the forkserver, not of the daemon, so a daemon killed with
    SIGKILL would leave them to PID 1; a thread checks every second that it still lives.
    """
    threading.Thread(
        target=_watch_parent, args=(daemon_pid,), name="monitor-parent-watch", daemon=True
    ).start()
    if tables is not None:
        stories.use_sketch_tables(tables)
    _warm()


def _watch_parent(daemon_pid: int, every: float = 1.0) -> None:
    started = process_start(daemon_pid)
    while True:
        time.sleep(every)
        if started is None or process_start(daemon_pid) != started:
            os._exit(0)  # the daemon is gone (or a zombie): nothing will read our results


# A frame between the daemon and a worker: its length, then a pickle.
_HEAD = struct.Struct("!Q")


class _WorkerGone(Exception):
    """The worker process ended (or closed its socket) before it answered."""


def _recv_exact(sock: socket.socket, size: int) -> bytearray:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = sock.recv_into(view[got:])
        if not count:
            raise EOFError
        got += count
    return buffer


def _send_frame(sock: socket.socket, value: Any) -> None:
    data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEAD.pack(len(data)) + data)


def _serve(
    sock: socket.socket,
    daemon_pid: int,
    tables: stories.SketchTables | None,
    target: Callable[..., Any],
) -> None:
    """A worker process: start (`_start_worker`), say so, then run the calls that come over
    `sock` one at a time, each answered with (True, result) or (False, its exception), until
    the daemon closes the socket (or goes). `target` is not called here: unpickling it has
    imported its module, before any page's timeout runs."""
    del target
    try:
        _start_worker(daemon_pid, tables)
        _send_frame(sock, (True, None))
        while True:
            (size,) = _HEAD.unpack(_recv_exact(sock, _HEAD.size))
            # (the daemon's frames, on a socket pair only it and this worker hold)
            fn, args = pickle.loads(_recv_exact(sock, size))  # noqa: S301
            try:
                answer: tuple[bool, Any] = (True, fn(*args))
            except Exception as exc:  # the caller's, as an executor hands it over
                answer = (False, exc)
            try:
                _send_frame(sock, answer)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                _send_frame(sock, (False, ExtractError(f"unpicklable answer: {exc!r}")))
    except (EOFError, OSError, KeyboardInterrupt):
        return  # the daemon closed the socket, or is gone: nothing will read an answer


class _Channel(asyncio.Protocol):
    """The daemon's end of a worker's socket: frames in, one answer awaited at a time."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.up: asyncio.Future[None] = loop.create_future()  # the worker's first frame
        self.answer: asyncio.Future[Any] | None = None
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _HEAD.size:
            (size,) = _HEAD.unpack_from(self._buffer)
            end = _HEAD.size + size
            if len(self._buffer) < end:
                return
            frame = bytes(self._buffer[_HEAD.size : end])
            del self._buffer[:end]
            self._deliver(frame)

    def _deliver(self, frame: bytes) -> None:
        try:
            ok, value = pickle.loads(frame)  # noqa: S301 - our worker's, as above
        except Exception as exc:  # (an answer that cannot be read) its caller's error
            ok, value = False, ExtractError(f"unreadable answer: {type(exc).__name__}")
        if not self.up.done():
            waiter: asyncio.Future[Any] | None = self.up
        else:
            waiter, self.answer = self.answer, None
        if waiter is None or waiter.done():
            return
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)

    def connection_lost(self, exc: Exception | None) -> None:
        for waiter in (self.up, self.answer):
            if waiter is not None and not waiter.done():
                waiter.set_exception(_WorkerGone())


def _seen(future: "asyncio.Future[Any]") -> None:
    """Mark `future`'s outcome as read (asyncio logs an exception nobody read)."""
    if not future.cancelled():
        future.exception()


class _Worker:
    """One extraction process (a slot of the pool) and a socket pair to it.

    The daemon writes a call and reads its answer on the event loop itself: no executor
    manager and queue feeder threads, no wake-up pipes between them (concurrent.futures'
    process pool cost ~0.3-0.4 ms of the daemon's CPU a page in threads and hand-overs).
    """

    def __init__(self, tables: stories.SketchTables | None, target: Callable[..., Any]) -> None:
        # forkserver: forking a process that runs an event loop and threads is unsafe.
        context = multiprocessing.get_context("forkserver")
        ours, theirs = socket.socketpair()
        try:
            self.process = context.Process(
                target=_serve, args=(theirs, os.getpid(), tables, target), name="monitor-extract"
            )
            self.process.daemon = True
            self.process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.channel = _Channel()
        self.started: asyncio.Future[None] = asyncio.ensure_future(self._connect(ours))
        self.started.add_done_callback(_seen)  # a failed start shows in the calls

    async def _connect(self, sock: socket.socket) -> None:
        """Attach the socket to the loop, then wait for the worker's first frame."""
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(lambda: self.channel, sock)
        except BaseException:
            sock.close()
            raise
        await self.channel.up

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` in the worker; _WorkerGone when it ends (or never started) first."""
        if not self.started.done():
            await asyncio.wait([self.started])
        if self.started.cancelled() or self.started.exception() is not None:
            raise _WorkerGone()
        channel = self.channel
        transport = channel.transport
        if transport is None or transport.is_closing():
            raise _WorkerGone()
        data = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        channel.answer = asyncio.get_running_loop().create_future()
        transport.write(_HEAD.pack(len(data)))
        transport.write(data)
        return await channel.answer

    def kill(self) -> None:
        """End the process now (a page over its time, or abandoned) and the socket."""
        self.started.cancel()
        if self.process.is_alive():
            self.process.terminate()
        if self.channel.transport is not None:
            self.channel.transport.abort()

    async def close(self) -> None:
        """Close the socket (the worker ends once its page, if any, is done) and reap it."""
        self.started.cancel()
        if self.channel.transport is not None:
            self.channel.transport.close()
        await asyncio.get_running_loop().run_in_executor(None, self._reap)

    def _reap(self) -> None:
        self.process.join(30)
        if self.process.exitcode is None:  # (stuck in a page) as a timeout would
            self.process.kill()
            self.process.join()


class ExtractorPool:
    """Runs extract_article in worker processes; a page over its timeout fails alone.

    Each worker is a slot of its own (a process and a socket pair to it) and a page is
    handed to a free slot only, so nothing ever waits inside a worker: a page's timeout
    counts its own extraction, never time spent queued behind other pages. A worker stuck on
    a page cannot be interrupted, so on a timeout that slot's process is terminated and
    replaced; the other slots, and the pages on or waiting for them, are not touched.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        target: Callable[[bytes, str | None], Article | None] | None = None,
    ) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self._target = target or _safe_extract  # a picklable module-level function
        self._slots: list[_Worker] = []
        self._free: asyncio.Queue[int] | None = None
        self._tables: stories.SketchTables | None = None  # handed to each worker at start
        self._killed: list[_Worker] = []  # replaced workers, reaped at close
        self.recycled = 0

    def worker_pids(self) -> list[int]:
        """The process ids of the current workers."""
        return [pid for worker in self._slots if (pid := worker.process.pid) is not None]

    async def __aenter__(self) -> Self:
        self._tables = await asyncio.to_thread(stories.sketch_tables)
        self._slots = [_Worker(self._tables, self._target) for _ in range(self.max_workers)]
        self._free = asyncio.Queue()
        # start and warm every worker now, so no page's timeout pays for a worker's start
        try:
            await asyncio.gather(*(worker.started for worker in self._slots))
        except BaseException as exc:
            await self.aclose()
            if isinstance(exc, _WorkerGone):
                raise ExtractError("an extraction worker ended while it started") from None
            raise
        for index in range(self.max_workers):
            self._free.put_nowait(index)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the workers (waiting for them off the event loop)."""
        workers, self._slots, self._free = self._slots + self._killed, [], None
        self._killed = []
        await asyncio.gather(*(worker.close() for worker in workers))

    async def extract(
        self,
        html: bytes,
        url: str | None,
        *,
        timeout: float = 20.0,  # noqa: ASYNC109 - per-page budget, the public API
    ) -> Article | None:
        """Extract one page in a worker; None when it has no article.

        Raises ExtractError when the page takes over `timeout` s of a worker's time, or
        crashes its worker twice; either way only this page fails.
        """
        article: Article | None = await self._submit(url, timeout, self._target, html, url)
        return article

    async def extract_story(
        self,
        html: bytes,
        url: str | None,
        *,
        title: str | None,
        timeout: float = 20.0,  # noqa: ASYNC109 - per-page budget, the public API
    ) -> Extracted:
        """`extract`, and the story identity of the article's text made in the worker too
        (`title`: the feed item's, which `stories.story_text` drops when it heads the text)."""
        extracted: Extracted = await self._submit(
            url, timeout, _extract_story, self._target, html, url, title
        )
        return extracted

    async def _submit(
        self,
        url: str | None,
        timeout: float,  # noqa: ASYNC109
        fn: Callable[..., Any],
        *args: Any,
    ) -> Any:
        free = self._free
        if free is None:
            raise RuntimeError("ExtractorPool used outside `async with`")
        index = await free.get()
        try:
            return await self._run(index, url, timeout, fn, *args)
        finally:
            self._release(free, index)

    def _release(self, free: "asyncio.Queue[int]", index: int) -> None:
        """Hand slot `index` back, once its worker is ready if it was just replaced."""
        if index >= len(self._slots) or self._slots[index].started.done():
            free.put_nowait(index)
            return
        self._slots[index].started.add_done_callback(lambda _: free.put_nowait(index))

    async def _run(
        self,
        index: int,
        url: str | None,
        timeout: float,  # noqa: ASYNC109
        fn: Callable[..., Any],
        *args: Any,
    ) -> Any:  # (timeout: see extract)
        for attempt in (1, 2):
            worker = self._slots[index]
            if not worker.started.done():  # a replaced worker's start (not the page's time)
                await asyncio.wait([worker.started])
            try:
                return await asyncio.wait_for(worker.call(fn, *args), timeout)
            except TimeoutError:
                log.warning("extract.timeout url_host=%s timeout=%s", _host(url), timeout)
                self._recycle(index)
                raise ExtractError(
                    f"extraction took over {timeout:g} s; its worker was replaced"
                ) from None
            except (_WorkerGone, asyncio.CancelledError) as exc:
                # gone: the worker died under this page (or was killed); cancelled: the slot
                # must not stay busy with an abandoned page
                self._recycle(index)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                if attempt == 2:
                    log.warning("extract.broken_pool url_host=%s", _host(url))
                    raise ExtractError("the extraction worker died twice on this page") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _recycle(self, index: int) -> None:
        """Replace slot `index` by a fresh worker (started at once) and kill the old one."""
        if index >= len(self._slots):  # the pool is closing
            return
        old = self._slots[index]
        self.recycled += 1
        self._slots[index] = _Worker(self._tables, self._target)
        old.kill()
        # (is_alive reaps the ones that have ended; the others are reaped at close)
        self._killed = [w for w in self._killed if w.process.is_alive()] + [old]
