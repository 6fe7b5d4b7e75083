"""Pure article extraction (trafilatura on bytes), and a process pool with a per-page timeout."""

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
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


def _loaded(target: Callable[..., Any]) -> None:
    """Run in a new worker: unpickling `target` has imported its module; nothing else."""
    del target


class ExtractorPool:
    """Runs extract_article in worker processes; a page over its timeout fails alone.

    Each worker is a slot of its own (a one-process executor) and a page is handed to a free
    slot only, so nothing ever waits inside an executor: a page's timeout counts its own
    extraction, never time spent queued behind other pages. A worker stuck on a page cannot
    be interrupted, so on a timeout that slot's process is terminated and replaced; the other
    slots, and the pages on or waiting for them, are not touched.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        target: Callable[[bytes, str | None], Article | None] | None = None,
    ) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self._target = target or _safe_extract  # a picklable module-level function
        self._slots: list[concurrent.futures.ProcessPoolExecutor] = []
        self._free: asyncio.Queue[int] | None = None
        self._starting: dict[int, concurrent.futures.Future[Any]] = {}  # replaced workers
        self._tables: stories.SketchTables | None = None  # handed to each worker at start
        self.recycled = 0

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        # forkserver: forking a process that runs an event loop and threads is unsafe.
        context = multiprocessing.get_context("forkserver")
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(), self._tables),
        )

    def _start(
        self,
        pool: concurrent.futures.ProcessPoolExecutor,
    ) -> "concurrent.futures.Future[Any]":
        """Start `pool`'s worker and load the target's module there (no page is run)."""
        return pool.submit(_loaded, self._target)

    def worker_pids(self) -> list[int]:
        """The process ids of the current workers."""
        return [pid for pool in self._slots for pid in (getattr(pool, "_processes", None) or {})]

    async def __aenter__(self) -> Self:
        self._tables = await asyncio.to_thread(stories.sketch_tables)
        self._slots = [self._new_pool() for _ in range(self.max_workers)]
        self._free = asyncio.Queue()
        # start and warm every worker now, so no page's timeout pays for a worker's start
        await asyncio.gather(*(asyncio.wrap_future(self._start(p)) for p in self._slots))
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
        slots, self._slots, self._free = self._slots, [], None
        loop = asyncio.get_running_loop()
        for pool in slots:
            await loop.run_in_executor(None, pool.shutdown)

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
        starting = self._starting.pop(index, None)
        if starting is None:
            free.put_nowait(index)
            return
        asyncio.wrap_future(starting).add_done_callback(
            lambda done: free.put_nowait(index) if not done.cancelled() else None
        )

    async def _run(
        self,
        index: int,
        url: str | None,
        timeout: float,  # noqa: ASYNC109
        fn: Callable[..., Any],
        *args: Any,
    ) -> Any:  # (timeout: see extract)
        for attempt in (1, 2):
            if attempt == 2:
                await self._started(index)
            future: concurrent.futures.Future[Any] | None = None
            try:
                future = self._slots[index].submit(fn, *args)
                return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
            except TimeoutError:
                log.warning("extract.timeout url_host=%s timeout=%s", _host(url), timeout)
                self._recycle(index)
                raise ExtractError(
                    f"extraction took over {timeout:g} s; its worker was replaced"
                ) from None
            except BrokenProcessPool:  # the worker died under this page (or was killed)
                self._recycle(index)
                if attempt == 2:
                    log.warning("extract.broken_pool url_host=%s", _host(url))
                    raise ExtractError("the extraction worker died twice on this page") from None
            except asyncio.CancelledError:
                if future is not None and not future.done():
                    self._recycle(index)  # the slot must not stay busy with an abandoned page
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _started(self, index: int) -> None:
        """Wait until slot `index`'s replacement worker is up (a failed start shows later)."""
        starting = self._starting.pop(index, None)
        if starting is not None:
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(starting)

    def _recycle(self, index: int) -> None:
        """Replace slot `index` by a fresh worker (started at once) and kill the old one."""
        if index >= len(self._slots):  # the pool is closing
            return
        pool = self._slots[index]
        self.recycled += 1
        fresh = self._new_pool()
        self._slots[index] = fresh
        self._starting[index] = self._start(fresh)
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
