"""Read the sources `tag`, `extract` and `vocab suggest` are given: files, stdin or guarded URLs."""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import MonitorError
from monitor.fetch.guard import IPNetwork
from monitor.urls import is_fetchable

if TYPE_CHECKING:
    from monitor.fetch.http import GuardedClient


def looks_like_url(source: str) -> bool:
    """True for an http(s) URL (anything else is a path, or - for stdin)."""
    return source.lower().startswith(("http://", "https://"))


async def read_sources(sources: Sequence[str],
                       allowed: Sequence[IPNetwork]) -> list[tuple[str, bytes | str, str | None]]:
    """(source, html or error message, final URL) per source, in order; str means an error."""
    from monitor.fetch.http import GuardedClient, quiet_http_loggers

    quiet_http_loggers()
    results: list[tuple[str, bytes | str, str | None]] = []
    urls = [s for s in sources if looks_like_url(s)]
    fetched: dict[str, tuple[bytes | str, str | None]] = {}
    if urls:
        async with GuardedClient(allowed) as client:
            for url in urls:
                fetched[url] = await _fetch(client, url)
    for source in sources:
        if source in fetched:
            body, final = fetched[source]
            results.append((source, body, final))
        else:
            results.append((source, *_read_local(source)))
    return results


async def _fetch(client: "GuardedClient", url: str) -> tuple[bytes | str, str | None]:
    if not is_fetchable(url):
        return "not an http(s) URL", None
    try:
        result = await client.get(url, headers={"accept": "text/html,*/*;q=0.8"})
    except MonitorError as exc:
        return getattr(exc, "reason", str(exc)), None
    if not 200 <= result.status < 300:
        return f"HTTP status {result.status}", result.url
    return result.body, str(result.url)


def _read_local(source: str) -> tuple[bytes | str, str | None]:
    if source == "-":
        return sys.stdin.buffer.read(), None
    path = Path(source)
    try:
        return path.read_bytes(), None
    except OSError as exc:
        return exc.strerror or str(exc), None
