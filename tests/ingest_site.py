"""Test helper: a small news site (RSS feeds with teasers, pages with furniture) and a config."""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from monitor.config import Settings

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)

# The story: it names Wang Yi and Taiwan only in its body.
STORY = [
    "Chinese Foreign Minister Wang Yi warned on Tuesday that any move towards independence "
    "for Taiwan would meet a firm response, speaking after a long meeting with a visiting "
    "congressional delegation in Beijing.",
    "The minister said that the question of Taiwan was the first red line that must not be "
    "crossed in relations between the two countries, and urged Washington to stop selling "
    "weapons to the island and to honour the commitments it made when ties were normalised.",
    "Members of the delegation said they had raised concerns about military drills near the "
    "island and about the safety of shipping in the strait, and that they had asked for "
    "regular channels of communication between the two militaries to be kept open.",
    "Analysts in the capital said the tone of the meeting was sharper than in previous rounds, "
    "but noted that both sides had agreed to continue working-level talks in the new year.",
]
# Another story, about fentanyl, naming nobody from the furniture.
STORY2 = [
    "Customs officials announced new inspections of chemical shipments on Wednesday, saying "
    "that precursor chemicals used to make fentanyl had been found in several containers "
    "that arrived at west coast ports during the autumn.",
    "The agency said it would share the results of the inspections with its counterparts and "
    "that cooperation on narcotics had improved since the two governments restarted a "
    "working group on counternarcotics earlier in the year.",
    "Industry groups said the checks would slow deliveries before the holidays, but welcomed "
    "the promise of clearer guidance for importers of legitimate chemical products.",
]

# Site furniture on every page: other actors that must NOT be tagged on the story.
NAV = (
    '<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>'
    '<li><a href="/burns">Nick Burns interview</a></li></ul></nav>'
)
ASIDE = (
    '<aside class="sidebar"><h3>Most read</h3><ul>'
    '<li><a href="/x1">He Lifeng meets Treasury officials on trade</a></li>'
    '<li><a href="/x2">Nick Burns on the ambassador\'s job</a></li></ul></aside>'
)
FOOTER = (
    "<footer><p>Newsletter: He Lifeng, Nick Burns and the week in trade.</p>"
    "<p>Copyright 2026 Example News. All rights reserved.</p></footer>"
)


def page(title: str, paragraphs: Sequence[str]) -> bytes:
    """An article page wrapped in navigation, a sidebar and a footer."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} | Example News</title></head><body>{NAV}"
        f"<main><article><h1>{escape(title)}</h1>"
        f'<p class="byline">By A. Reporter</p>{body}</article></main>'
        f"{ASIDE}{FOOTER}</body></html>"
    ).encode()


@dataclass(frozen=True)
class Entry:
    """One feed item."""

    guid: str
    link: str
    title: str
    teaser: str = "Read the full story on our website."
    published: datetime = T0


def rss(title: str, entries: Sequence[Entry]) -> bytes:
    """An RSS 2.0 document whose items carry only teasers."""
    items = "".join(
        f"<item><title>{escape(e.title)}</title><link>{escape(e.link)}</link>"
        f'<guid isPermaLink="false">{escape(e.guid)}</guid>'
        f"<description>{escape(e.teaser)}</description>"
        f"<pubDate>{format_datetime(e.published)}</pubDate></item>"
        for e in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link>"
        f"<description>test</description>{items}</channel></rss>"
    ).encode()


RSS = {"content-type": "application/rss+xml; charset=utf-8"}
HTML = {"content-type": "text/html; charset=utf-8"}


def write_config(
    path: Path,
    feeds: Sequence[tuple[str, str]],
    *,
    watches: str = "",
    interval: str = "15m",
    full_text: bool = True,
) -> Path:
    """A feeds.toml with `feeds` as (name, url) and extra TOML for watches and channels."""
    text = "".join(
        f'[[feed]]\nname = "{n}"\nurl = "{u}"\ninterval = "{interval}"\n'
        f"full_text = {'true' if full_text else 'false'}\n\n"
        for n, u in feeds
    )
    path.write_text(text + watches, encoding="utf-8")
    return path


def settings(config: Path, db_url: str) -> Settings:
    """Settings for a test: its config and database, loopback fetches allowed."""
    return Settings(config=config, database_url=db_url, allowed_networks=LOOPBACK)


def later(hours: float) -> datetime:
    """T0 plus some hours."""
    return T0 + timedelta(hours=hours)
