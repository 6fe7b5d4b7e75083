"""Read the sources `tag`, `extract` and `vocab suggest` are given: files, stdin or guarded URLs,
each at most MONITOR_INPUT_MAX_BYTES; extract pages within MONITOR_EXTRACT_TIMEOUT."""

import multiprocessing
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import MonitorError, ResponseTooLargeError
from monitor.types import Article
from monitor.urls import is_fetchable

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.fetch.http import GuardedClient

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Smaller pages extract in about a second in process; bigger ones go to a worker process
# that is stopped at the time limit (starting it costs about a second).
IN_PROCESS_BYTES = 256 * 1024


def too_big(limit: int) -> str:
    """The one-line error of a source over the input limit."""
    return (
        f"larger than {limit:,} bytes (MONITOR_INPUT_MAX_BYTES); raise "
        "MONITOR_INPUT_MAX_BYTES to read it"
    )


class ExtractTimeout(MonitorError):
    """Extraction of one page took longer than its limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"extraction took over {seconds:g} s (MONITOR_EXTRACT_TIMEOUT); raise "
            "MONITOR_EXTRACT_TIMEOUT to wait longer"
        )


def looks_like_url(source: str) -> bool:
    """True for an http(s) URL (anything else is a path, or - for stdin)."""
    return source.lower().startswith(("http://", "https://"))


async def read_sources(
    sources: Sequence[str],
    settings: "Settings",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[tuple[str, bytes | str, str | None]]:
    """(source, html or error message, final URL) per source, in order; str means an error.
    A source of more than `max_bytes` is an error (read no further than that). URLs go
    through the composition root's guarded client (MONITOR_ALLOWED_NETWORKS)."""
    from monitor.app import http_client
    from monitor.fetch.http import quiet_http_loggers

    quiet_http_loggers()
    results: list[tuple[str, bytes | str, str | None]] = []
    urls = [s for s in sources if looks_like_url(s)]
    fetched: dict[str, tuple[bytes | str, str | None]] = {}
    if urls:
        async with http_client(settings) as client:
            for url in urls:
                fetched[url] = await _fetch(client, url, max_bytes)
    for source in sources:
        if source in fetched:
            body, final = fetched[source]
            results.append((source, body, final))
        else:
            results.append((source, *_read_local(source, max_bytes)))
    return results


async def _fetch(
    client: "GuardedClient", url: str, max_bytes: int
) -> tuple[bytes | str, str | None]:
    if not is_fetchable(url):
        return "not an http(s) URL", None
    try:
        result = await client.get(
            url, headers={"accept": "text/html,*/*;q=0.8"}, max_bytes=max_bytes
        )
    except ResponseTooLargeError:
        return too_big(max_bytes), None
    except MonitorError as exc:
        return getattr(exc, "reason", str(exc)), None
    if not 200 <= result.status < 300:
        return f"HTTP status {result.status}", result.url
    return result.body, str(result.url)


def _read_local(source: str, max_bytes: int) -> tuple[bytes | str, str | None]:
    try:
        if source == "-":
            body = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with Path(source).open("rb") as stream:  # /dev/zero never ends: read one more
                body = stream.read(max_bytes + 1)
    except OSError as exc:
        return exc.strerror or str(exc), None
    if len(body) > max_bytes:
        return too_big(max_bytes), None
    return body, None


def extract_bounded(html: bytes, url: str | None, timeout: float) -> Article | None:
    """The article of `html` (None when it has none); ExtractTimeout past `timeout` seconds.
    Pages over IN_PROCESS_BYTES are extracted in a worker process, killed at the limit
    (trafilatura cannot be interrupted)."""
    from monitor.extract import extract_article

    if len(html) <= IN_PROCESS_BYTES:
        return extract_article(html, url)
    # fork: the command runs no event loop or thread by now, and the child needs no imports
    with multiprocessing.get_context("fork").Pool(1) as pool:
        pending = pool.apply_async(extract_article, (html, url))
        try:
            return pending.get(timeout)
        except multiprocessing.TimeoutError:
            raise ExtractTimeout(timeout) from None
        finally:
            pool.terminate()
