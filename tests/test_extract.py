"""Article extraction: site furniture is dropped, metadata kept; the pool survives hung pages."""

import asyncio
import gzip
import os
import sys
import time
from typing import Any

import pytest
from conftest import CORPUS as SHARED_CORPUS
from conftest import need_shared

from monitor import stories
from monitor.errors import ExtractError
from monitor.extract import ExtractorPool, extract_article, page_language
from monitor.types import Article

ARTICLE = [
    "Senior diplomats from both countries met in Geneva on Thursday for a second round of",
    "talks on maritime incidents, according to officials familiar with the agenda.",
    "The delegations discussed a hotline for naval commanders and rules for unplanned",
    "encounters at sea, an issue that has grown urgent after several close calls this year.",
    "Neither side announced an agreement, but both described the atmosphere as constructive",
    "and said working groups would continue the discussion before the end of the month.",
]
PARAGRAPHS = [" ".join(ARTICLE[i : i + 2]) for i in range(0, len(ARTICLE), 2)]
FURNITURE = [
    "Subscribe to our newsletter",
    "Most read today",
    "Cookie settings",
    "Weather forecast for tomorrow",
    "All rights reserved",
]


def page() -> bytes:
    """A news page with navigation, a sidebar, related links and a footer around the article."""
    nav = "".join(f'<li><a href="/s{i}">Section {i} news</a></li>' for i in range(12))
    side = "".join(
        f'<li><a href="/r{i}">Most read today: story number {i}</a></li>' for i in range(8)
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html><html lang="en-GB"><head><title>Talks in Geneva | Daily</title>
<meta property="og:title" content="Diplomats hold maritime talks in Geneva">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2026-11-19T08:30:00Z"></head><body>
<header><nav><ul>{nav}</ul></nav><div class="cookie">Cookie settings</div></header>
<main><article><h1>Diplomats hold maritime talks in Geneva</h1>
<p class="byline">By Jane Reporter</p>{body}</article>
<aside class="sidebar"><h3>Most read today</h3><ul>{side}</ul>
<div class="newsletter">Subscribe to our newsletter</div></aside></main>
<footer><p>Weather forecast for tomorrow</p><p>All rights reserved</p>
<ul>{nav}</ul></footer></body></html>""".encode()


def test_only_the_article_text_is_extracted() -> None:
    """Navigation, sidebar, newsletter box and footer stay out; every paragraph is in."""
    article = extract_article(page(), "https://daily.example/world/talks")
    assert article is not None
    for paragraph in PARAGRAPHS:
        assert paragraph in article.text
    for junk in [*FURNITURE, "Section 3 news", "story number"]:
        assert junk not in article.text
    assert article.title == "Diplomats hold maritime talks in Geneva"
    assert article.author == "Jane Reporter"
    assert article.published is not None
    assert article.published.date().isoformat() == "2026-11-19"
    assert article.language == "en"
    assert article.url == "https://daily.example/world/talks"


def test_str_input_and_empty_pages() -> None:
    """A str page works like bytes; an empty or text-free page gives None."""
    assert extract_article(page().decode()) is not None
    assert extract_article(b"") is None
    assert extract_article("<html><body>   </body></html>") is None


def test_page_language() -> None:
    """The language comes from <html lang>, Content-Language meta or og:locale."""
    assert page_language(b'<html xml:lang="de-DE">') == "de"
    assert page_language(b'<meta property="og:locale" content="fr_FR">') == "fr"
    assert page_language(b"<html>") is None


def sleepy(html: bytes, url: str | None) -> Article | None:
    """A stand-in extractor that hangs on pages marked 'hang' (runs in the worker)."""
    if b"hang" in html:
        time.sleep(60)
    return Article(url, "t", None, None, None, html.decode())


async def test_pool_extracts_in_workers() -> None:
    """The pool returns the same article as the pure function."""
    async with ExtractorPool(1) as pool:
        article = await pool.extract(page(), "https://daily.example/x")
    assert article == extract_article(page(), "https://daily.example/x")


def headed(html: bytes, url: str | None) -> Article | None:
    """A stand-in extractor whose text starts with a headline line (runs in the worker)."""
    if not html:
        return None
    body = " ".join(["officials said the talks on export controls resumed"] * 6)
    return Article(url, "Page headline", None, None, None, f"{html.decode()}\n{body}")


async def test_pool_makes_the_story_identity_in_the_worker() -> None:
    """extract_story gives the article and its text's fingerprint and sketch, the feed
    item's title dropped when it heads the text; no identity without article text."""
    async with ExtractorPool(1, target=headed) as pool:
        titled = await pool.extract_story(b"Item title", None, title="Item title")
        untitled = await pool.extract_story(b"Item title", None, title=None)
        empty = await pool.extract_story(b"", None, title="Item title")
    assert titled.article is not None
    text = titled.article.text
    assert titled.story == stories.identify(text, "Item title", "Page headline")
    assert titled.story is not None
    assert titled.story.fingerprint == stories.fingerprint(text.partition("\n")[2])
    assert titled.story.sketch == stories.sketch(text.partition("\n")[2])
    assert untitled.story == stories.identify(text)  # the headline stays in the text
    assert untitled.story is not None
    assert untitled.story.fingerprint == stories.fingerprint(text)
    assert (empty.article, empty.story) == (None, None)


def loaded(html: bytes, url: str | None) -> Article | None:
    """A stand-in extractor whose text names the sketch libraries its worker has loaded."""
    names = [name for name in ("datasketch", "scipy") if name in sys.modules]
    return Article(url, None, None, None, None, " ".join(names) or f"none {html.decode()}")


async def test_workers_sketch_with_the_daemons_tables_not_datasketch() -> None:
    """A worker is given the sketch permutations at start: it never loads datasketch (and
    the scipy it imports, ~50 MiB a worker), and its sketches equal the daemon's."""
    async with ExtractorPool(1, target=loaded) as pool:
        first = await pool.extract_story(b"page", None, title=None)
        second = await pool.extract(b"page", None)
    assert first.article is not None
    assert first.story == stories.identify(first.article.text)
    assert second is not None
    assert second.text == "none page"


@pytest.mark.slow
async def test_hung_page_times_out_and_the_pool_recovers() -> None:
    """A page that hangs its worker fails with ExtractError after the timeout; later pages
    still work."""
    async with ExtractorPool(1, target=sleepy) as pool:
        with pytest.raises(ExtractError, match="over 1 s"):
            await pool.extract(b"hang", None, timeout=1.0)
        assert pool.recycled == 1
        ok = await pool.extract(b"fine", None, timeout=20.0)
    assert ok is not None
    assert ok.text == "fine"


@pytest.mark.slow
async def test_a_timeout_never_touches_other_pages() -> None:
    """Two hung pages time out alone while pages queued behind them (and on the other
    worker) are extracted: none is cancelled, none is charged for time spent waiting."""
    async with ExtractorPool(2, target=sleepy) as pool:
        pages = [
            b"hang-1",
            *(f"fine-{i}".encode() for i in range(3)),
            b"hang-2",
            *(f"fine-{i}".encode() for i in range(3, 8)),
        ]
        results = await asyncio.gather(
            *(pool.extract(p, None, timeout=1.0) for p in pages), return_exceptions=True
        )
        assert pool.recycled == 2
    for html, result in zip(pages, results, strict=True):
        if html.startswith(b"hang"):
            assert isinstance(result, ExtractError)
        else:
            assert isinstance(result, Article), result
            assert result.text == html.decode()


def fragile(html: bytes, url: str | None) -> Article | None:
    """A stand-in extractor whose worker dies on pages marked 'die' and fails on 'fail'."""
    if b"die" in html:
        os._exit(3)
    if b"fail" in html:
        raise ValueError("odd markup")
    return Article(url, "t", None, None, None, html.decode())


@pytest.mark.slow
async def test_a_page_that_kills_its_worker_fails_alone() -> None:
    """A worker that dies under a page is replaced and the page tried once more on the new
    one; dying twice fails that page with ExtractError. A target's own exception reaches the
    caller. Other pages, before and after, are extracted."""
    async with ExtractorPool(1, target=fragile) as pool:
        before = await pool.extract(b"fine-1", None)
        with pytest.raises(ExtractError, match="died twice"):
            await pool.extract(b"die", None)
        assert pool.recycled == 2
        with pytest.raises(ValueError, match="odd markup"):
            await pool.extract(b"fail", None)
        after = await asyncio.gather(*(pool.extract(b"fine-%d" % i, None) for i in (2, 3)))
        assert pool.recycled == 2
    assert before is not None
    assert before.text == "fine-1"
    assert [a.text if a else None for a in after] == ["fine-2", "fine-3"]


CORPUS = SHARED_CORPUS / "aeb"


def _full_trafilatura(html: bytes, url: str | None) -> tuple[Any, ...] | None:
    """trafilatura's own one-call answer with all metadata, under our settings: the fast
    precision pass, or the full cascade when that finds no text (what main_text promises)."""
    import trafilatura

    from monitor.extract import FAST_SETTINGS, SETTINGS

    for settings in (FAST_SETTINGS, SETTINGS):
        found = trafilatura.bare_extraction(html, url=url, with_metadata=True, **settings)
        if found is not None and (found.text or "").strip():
            return (found.text.strip(), found.title, found.author, found.date)
    return None


def _pages() -> list[bytes]:
    pages = [page()]
    if CORPUS.is_dir():
        pages += [gzip.decompress(p.read_bytes()) for p in sorted(CORPUS.glob("*.html.gz"))]
    return pages


@pytest.mark.slow
def test_trimmed_metadata_and_text_equal_trafilaturas_full_call() -> None:
    """Parsing once, running only the metadata steps an Article needs and the text passes on
    copies of that tree gives trafilatura's own text, title, author and date from one call on
    the bytes (on the test page and on every AEB corpus page)."""
    from trafilatura.utils import load_html

    from monitor.extract import _metadata, main_text

    for html in _pages():
        for url in ("https://news.example/2026/11/story", None):
            full = _full_trafilatura(html, url)
            tree = load_html(html)
            assert tree is not None
            meta = _metadata(tree, url)
            text = main_text(tree, url)
            mine = (text, meta.title, meta.author, meta.date) if text else None
            assert mine == full
    need_shared(CORPUS)  # the test page was compared; the AEB pages need ../shared


@pytest.mark.slow
def test_full_cascade_when_fast_mode_finds_nothing() -> None:
    """A page on which trafilatura's fast mode finds no text still gets the full cascade's
    text (one AEB page is such a case); pages where fast mode finds text keep fast mode's."""
    import trafilatura
    from trafilatura.utils import load_html

    from monitor.extract import FAST_SETTINGS, main_text

    need_shared(CORPUS)
    rescued = kept = 0
    for html in _pages():
        fast = trafilatura.bare_extraction(html, **FAST_SETTINGS)
        fast_text = (fast.text or "").strip() if fast is not None else ""
        tree = load_html(html)
        assert tree is not None
        text = main_text(tree, None)
        if fast_text:
            assert text == fast_text
            kept += 1
        elif text:
            rescued += 1
    assert rescued >= 1
    assert kept > 150
