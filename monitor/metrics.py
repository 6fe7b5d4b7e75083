"""Pure: store counts as Prometheus text exposition (labels only from fixed or operator sets)."""

from collections.abc import Iterable

from monitor.types import FeedCount, MetricsCounts

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OUTBOX_STATES = ("pending", "failed", "dead", "delivered")
FEED_HEALTH = ("ok", "failing", "disabled", "never_polled")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _family(name: str, help_: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
    lines += [f"{name}{labels} {_number(value)}" for labels, value in samples]
    return lines


def feed_health(feed: FeedCount) -> str:
    """One of FEED_HEALTH for a feed."""
    if not feed.enabled:
        return "disabled"
    if not feed.polled:
        return "never_polled"
    return "failing" if feed.consecutive_errors else "ok"


def render(counts: MetricsCounts) -> str:
    """The /metrics body. Label values are states, health classes, watch and feed names only:
    never URLs or titles, which are unbounded and may carry secrets."""
    health = {h: 0 for h in FEED_HEALTH}
    for feed in counts.feeds:
        health[feed_health(feed)] += 1
    other = sum(n for s, n in counts.outbox.items() if s not in OUTBOX_STATES)
    outbox = [(s, counts.outbox.get(s, 0)) for s in OUTBOX_STATES]
    if other:
        outbox.append(("other", other))
    lines = [
        *_family("monitor_articles", "Stored articles.", [("", counts.articles)]),
        *_family(
            "monitor_matches",
            "Stored articles with at least one actor or issue.",
            [("", counts.matches)],
        ),
        *_family(
            "monitor_watch_matches",
            "Articles that matched each watch.",
            [(f'{{watch="{_label(w)}"}}', n) for w, n in sorted(counts.watch_matches.items())],
        ),
        *_family(
            "monitor_outbox_alerts",
            "Alerts in the outbox by delivery state.",
            [(f'{{state="{s}"}}', n) for s, n in outbox],
        ),
        *_family(
            "monitor_feeds",
            "Configured feeds by health.",
            [(f'{{health="{h}"}}', n) for h, n in health.items()],
        ),
        *_family(
            "monitor_feed_articles",
            "Stored articles per feed.",
            [(f'{{feed="{_label(f.name)}"}}', f.articles) for f in counts.feeds],
        ),
        *_family(
            "monitor_feed_consecutive_errors",
            "Failed polls in a row per feed.",
            [(f'{{feed="{_label(f.name)}"}}', f.consecutive_errors) for f in counts.feeds],
        ),
        *_family(
            "monitor_feed_last_success_timestamp_seconds",
            "Unix time of each feed's last successful poll.",
            [
                (f'{{feed="{_label(f.name)}"}}', f.last_success.timestamp())
                for f in counts.feeds
                if f.last_success is not None
            ],
        ),
    ]
    return "\n".join(lines) + "\n"
