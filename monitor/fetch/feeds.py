"""Conditional GET of a feed: ETag/Last-Modified in, body or 304 out, with the server's hints."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.fetch.hints import (
    MAX_RETRY_AFTER,
    parse_cache_max_age,
    parse_retry_after,
    permanent_target,
)
from monitor.fetch.http import GuardedClient

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/feed+json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class FeedFetch:
    """The outcome of one feed request that got an HTTP answer.

    `body` is the feed for a 2xx answer and None otherwise (304 not modified, 404, 429, 5xx);
    `etag`/`last_modified` are what to send next time (the old ones are kept through a 304).
    """

    status: int
    url: str
    body: bytes | None
    etag: str | None
    last_modified: str | None
    retry_after: timedelta | None = None
    cache_max_age: timedelta | None = None
    permanent_redirect: str | None = None
    gone: bool = False
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        """The server says the feed has not changed since the validators we sent."""
        return self.status == 304

    @property
    def ok(self) -> bool:
        """A 2xx answer with a body to parse."""
        return 200 <= self.status < 300


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The request headers of a conditional GET."""
    headers = {"accept": FEED_ACCEPT}
    if etag:
        headers["if-none-match"] = etag
    if last_modified:
        headers["if-modified-since"] = last_modified
    return headers


async def fetch_feed(
    client: GuardedClient,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    clock: Callable[[], datetime],
) -> FeedFetch:
    """GET a feed conditionally; FetchError subclasses propagate for failures without an answer.
    `clock` (the caller's, aware UTC) dates the answer: a Retry-After date becomes a delay."""
    result = await client.get(url, headers=conditional_headers(etag, last_modified))
    ok = 200 <= result.status < 300
    headers = result.headers
    keep = result.status == 304
    return FeedFetch(
        status=result.status,
        url=result.url,
        body=result.body if ok else None,
        etag=headers.get("etag") or (etag if keep else None),
        last_modified=headers.get("last-modified") or (last_modified if keep else None),
        retry_after=parse_retry_after(
            headers.get("retry-after"), now=clock(), limit=MAX_RETRY_AFTER
        ),
        cache_max_age=parse_cache_max_age(headers.get("cache-control")),
        permanent_redirect=permanent_target(result.redirects),
        gone=result.status == 410,
        elapsed=result.elapsed,
    )
