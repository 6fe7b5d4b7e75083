"""The project's exceptions: one root, subclasses carry the resource at fault."""


class MonitorError(Exception):
    """Root of every error monitor raises on purpose."""


class ConfigError(MonitorError):
    """A settings or feeds.toml mistake, naming the file, line and key where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.file, self.line, self.key, self.reason = file, line, key, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        at_key = f"[{key}] " if key else ""
        super().__init__(f"{prefix}{at_key}{message}")


class VocabularyError(ConfigError):
    """A bad vocabulary file or entry."""


class QueryError(MonitorError):
    """A malformed watch query; `position` is the 0-based offset of the fault."""

    def __init__(self, message: str, *, query: str, position: int) -> None:
        self.query, self.position, self.reason = query, position, message
        super().__init__(f"{message} at position {position}: {_excerpt(query, position)}")


def shown(value: str, width: int = 40) -> str:
    """`value` quoted for a message, cut to `width` characters (hostile input can be huge)."""
    return repr(value if len(value) <= width else value[:width] + "…")


def _excerpt(query: str, position: int, width: int = 60) -> str:
    """The query quoted, or for a long one the part around `position`."""
    if len(query) <= 2 * width:
        return repr(query)
    start = max(0, position - width)
    return (
        ("..." if start else "")
        + repr(query[start : position + width])
        + ("..." if position + width < len(query) else "")
    )


class StoreError(MonitorError):
    """A database failure, wrapping the driver's exception."""


class StoreDisconnectedError(StoreError):
    """The connection died under a statement (a server restart, a killed backend): a read may
    run again on a fresh connection."""


class NotMigratedError(StoreError):
    """The database is not at the newest migration (`monitor db upgrade` brings it there)."""

    def __init__(self, current: str | None, head: str | None) -> None:
        self.current, self.head = current, head
        super().__init__(f"the database is at revision {current or 'none'}, not {head}")


class NotAvailableError(MonitorError):
    """A command whose capability has not been built yet."""


class FetchError(MonitorError):
    """A fetch failed; `url` is what was being fetched."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        self.url, self.status, self.reason = url, status, message
        super().__init__(f"{message}: {url}")


class BlockedAddressError(FetchError):
    """The SSRF guard refused an address that is not public and not allowed."""


class ResponseTooLargeError(FetchError):
    """A body (after decompression) exceeded the size cap."""


class FetchTimeoutError(FetchError):
    """A fetch exceeded its total deadline."""


class ParseError(MonitorError):
    """A feed could not be parsed into items."""


class ExtractError(MonitorError):
    """A page could not be turned into an article."""


class DeliveryError(MonitorError):
    """An alert could not be delivered to a channel."""

    def __init__(
        self,
        message: str,
        *,
        channel: str,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        self.channel, self.retry_after, self.permanent, self.reason = (
            channel,
            retry_after,
            permanent,
            message,
        )
        super().__init__(f"channel {channel}: {message}")


class ChannelGoneError(DeliveryError):
    """The receiver said the channel is gone for good (HTTP 410): disable it, keep its alerts."""

    def __init__(self, message: str, *, channel: str) -> None:
        super().__init__(message, channel=channel, permanent=True)
