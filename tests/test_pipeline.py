"""The ingestion pipeline against real HTTP servers on 127.0.0.1 and both databases."""

import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from httpserver import HTTPTestServer
from ingest_site import (
    HTML,
    RSS,
    STORY,
    STORY2,
    T0,
    Entry,
    page,
    rss,
    settings,
    write_config,
)

from monitor import stories
from monitor.app import Runtime, Tuning, prepare, running
from monitor.clock import utcnow
from monitor.config import load_config
from monitor.daemon import CycleReport, Daemon
from monitor.pipeline import PipelineOptions
from monitor.store import Store
from monitor.store.models import ArticleRow, ArticleTagRow, OutboxRow

TUNING = Tuning(extract_workers=1, fetch_deadline=2.0, pipeline=PipelineOptions(page_timeout=10.0))


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site on 127.0.0.1."""
    with HTTPTestServer("127.0.0.1") as server:
        yield server


@asynccontextmanager
async def runtime(
    tmp_path: Path,
    store: Store,
    feeds: list[tuple[str, str]],
    watches: str = "",
    tuning: Tuning = TUNING,
) -> AsyncIterator[Runtime]:
    """A runtime over `store` with a feeds.toml naming `feeds`."""
    path = write_config(tmp_path / "feeds.toml", feeds, watches=watches)
    conf = settings(path, store.db.url)
    prepared = prepare(conf, load_config(path))
    async with running(prepared, store, tuning) as rt:
        yield rt


async def once(
    tmp_path: Path,
    store: Store,
    feeds: list[tuple[str, str]],
    watches: str = "",
    tuning: Tuning = TUNING,
) -> CycleReport:
    """One `--once` cycle."""
    async with runtime(tmp_path, store, feeds, watches, tuning) as rt:
        return await Daemon(rt).run_once()


def tags_of(store: Store, url: str) -> set[str]:
    """The tag ids stored for the article at `url`."""
    art = ArticleRow.__table__.c  # type: ignore[attr-defined]
    tag = ArticleTagRow.__table__.c  # type: ignore[attr-defined]
    with store.db.read() as s:
        rows = (
            s.connection()
            .execute(
                sa.select(tag.tag_id)
                .join(ArticleRow.__table__, art.id == tag.article_id)  # type: ignore[attr-defined]
                .where(art.canonical_url == url)
            )
            .scalars()
            .all()
        )
    return set(rows)


def articles(store: Store) -> list[sa.Row[tuple[str, str, str, int, int]]]:
    """(feed guid, canonical url, text, id, story id) of every stored article."""
    art = ArticleRow.__table__.c  # type: ignore[attr-defined]
    with store.db.read() as s:
        return list(
            s.connection()
            .execute(
                sa.select(art.guid, art.canonical_url, art.text, art.id, art.story_id).order_by(
                    art.id
                )
            )
            .all()
        )


def serve_story(site: HTTPTestServer) -> None:
    """A feed of two teaser items whose pages carry the stories inside site furniture."""
    site.route(
        "/news.xml",
        body=rss(
            "News",
            [
                Entry("n-1", site.url("/2026/taiwan-warning?utm_source=rss"), "Minister warns"),
                Entry("n-2", site.url("/2026/chemicals"), "New port inspections"),
            ],
        ),
        headers=RSS,
        etag='"v1"',
    )
    site.route("/2026/taiwan-warning", body=page("Minister warns", STORY), headers=HTML)
    site.route("/2026/chemicals", body=page("New port inspections", STORY2), headers=HTML)


async def test_tags_come_from_extracted_text_not_furniture(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """Teaser-only items get their page's article text; nav, sidebar and footer tag nothing."""
    serve_story(site)
    report = await once(tmp_path, store, [("news", site.url("/news.xml"))])
    assert (report.feeds, report.failed, report.stored) == (1, 0, 2)
    stored = {url: text for _g, url, text, _i, _s in articles(store)}
    story_url = site.url("/2026/taiwan-warning")  # tracking parameter dropped
    assert "red line" in stored[story_url]
    assert "Most read" not in stored[story_url]
    assert {"wang-yi", "taiwan"} <= tags_of(store, story_url)
    assert not {"nick-burns", "he-lifeng"} & tags_of(store, story_url)
    assert "fentanyl" in tags_of(store, site.url("/2026/chemicals"))


async def test_pages_are_identified_in_the_extraction_workers(
    tmp_path: Path, store: Store, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's story fingerprint and sketch are made beside its extraction, in a worker
    process: the daemon makes neither (here it cannot), and they are those of the stored
    text without its headline line."""
    serve_story(site)
    fingerprint = stories.fingerprint

    def not_here(*args: Any) -> Any:
        raise AssertionError("the daemon identified a page's story")

    monkeypatch.setattr(stories, "identify", not_here)
    monkeypatch.setattr(stories, "fingerprint", not_here)
    report = await once(tmp_path, store, [("news", site.url("/news.xml"))])
    assert (report.failed, report.stored) == (0, 2)
    art = ArticleRow.__table__.c  # type: ignore[attr-defined]
    with store.db.read() as s:
        rows = s.connection().execute(sa.select(art.title, art.text, art.fingerprint)).all()
    assert len(rows) == 2
    for title, text, stored in rows:
        assert stored == fingerprint(stories.story_text(text, title))


async def test_second_poll_is_conditional_and_stores_nothing_new(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """The second cycle sends If-None-Match, gets 304, fetches no page and records 304."""
    serve_story(site)
    await once(tmp_path, store, [("news", site.url("/news.xml"))])
    report = await once(tmp_path, store, [("news", site.url("/news.xml"))])
    feed_hits = site.hits("/news.xml")
    assert len(feed_hits) == 2
    assert feed_hits[1].headers.get("if-none-match") == '"v1"'
    assert len(site.hits("/2026/taiwan-warning")) == 1
    assert report.stored == 0
    [health] = store.feed_health()
    assert (health.last_status, health.consecutive_errors, health.last_error) == (304, 0, None)
    assert health.next_poll is not None
    assert health.last_success is not None
    assert health.next_poll > health.last_success


async def test_polls_that_end_while_the_writer_is_busy_are_recorded_together(
    tmp_path: Path, store: Store, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one poll's record is being written, the polls that end meanwhile wait and go
    to the store together, in one call (one transaction), not one trip each; every feed's
    health is stored all the same."""
    feeds = [(f"f{i}", site.url(f"/f{i}.xml")) for i in range(12)]
    for name, _ in feeds:
        site.route(f"/{name}.xml", body=rss(name, []), headers=RSS, etag=f'"{name}"')
    calls: list[list[str]] = []
    record_polls = store.record_polls

    def slow_record_polls(polls: Any) -> Any:
        calls.append([name for name, _, _ in polls])
        if len(calls) == 1:
            time.sleep(0.5)  # the writer is busy: the other polls end meanwhile
        return record_polls(polls)

    monkeypatch.setattr(store, "record_polls", slow_record_polls)
    report = await once(tmp_path, store, feeds)
    assert (report.feeds, report.failed) == (12, 0)
    assert sorted(n for call in calls for n in call) == sorted(name for name, _ in feeds)
    assert len(calls) < 12
    assert max(len(call) for call in calls) > 1
    assert {h.name: h.last_status for h in store.feed_health()} == {n: 200 for n, _ in feeds}


async def test_articles_of_polls_that_wait_for_a_one_at_a_time_writer_share_trips(
    tmp_path: Path, store: Store, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite (one writer): while one trip of articles is being written, the items of the
    polls that become ready meanwhile go together on the next trips (one transaction each),
    several feeds' items a trip and at most `trip_articles` items, each poll's own items
    whole; every item is stored and counted for its own poll. PostgreSQL (concurrent
    writers): each trip holds one feed's items."""
    feeds = [(f"t{i}", site.url(f"/t{i}.xml")) for i in range(8)]
    for name, _ in feeds:
        entries = [
            Entry(f"{name}-{j}", site.url(f"/{name}/{j}"), f"{name} brief {j}", f"{name} {j}.")
            for j in range(3)
        ]
        site.route(f"/{name}.xml", body=rss(name, entries), headers=RSS, etag=f'"{name}"')
    path = write_config(tmp_path / "feeds.toml", feeds, full_text=False)
    tuning = Tuning(
        extract_workers=1, fetch_deadline=2.0, pipeline=PipelineOptions(trip_articles=7)
    )
    trips: list[list[str]] = []
    async with running(
        prepare(settings(path, store.db.url), load_config(path)), store, tuning
    ) as rt:
        pipeline = rt.pipeline
        store_batch = pipeline._store_batch

        def slow_store_batch(batch: Any) -> Any:
            trips.append([p.article.feed for p in batch])
            if len(trips) == 1:
                time.sleep(0.5)  # the writer is busy: the other polls' items wait
            return store_batch(batch)

        monkeypatch.setattr(pipeline, "_store_batch", slow_store_batch)
        report = await Daemon(rt).run_once()
    assert (report.feeds, report.failed, report.stored) == (8, 0, 24)
    assert sorted(f for trip in trips for f in trip) == sorted(n for n, _ in feeds for _ in "abc")
    assert len(articles(store)) == 24
    if store.writes_in_turn:
        assert max(len(set(trip)) for trip in trips) > 1
        assert len(trips) < 8
        assert all(len(trip) <= 7 for trip in trips)  # 3-item hand-overs, at most 7 a trip
    else:
        assert len(trips) == 8
        assert all(len(set(trip)) == 1 for trip in trips)


async def test_faults_are_recorded_and_the_cycle_goes_on(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """301 moves the feed (not to a refused address), 410 disables, 5xx/timeouts count errors."""
    serve_story(site)
    site.route("/old.xml", status=301, headers={"location": "/news.xml"})
    site.route(
        "/sneaky.xml", status=301, headers={"location": "http://169.254.169.254/latest/meta-data/"}
    )
    site.route("/gone.xml", status=410)
    site.route("/broken.xml", status=503, body=b"down")
    site.route("/slow.xml", body=rss("Slow", []), headers=RSS, delay=4.0)
    report = await once(
        tmp_path,
        store,
        [
            ("moved", site.url("/old.xml")),
            ("sneaky", site.url("/sneaky.xml")),
            ("gone", site.url("/gone.xml")),
            ("broken", site.url("/broken.xml")),
            ("slow", site.url("/slow.xml")),
        ],
    )
    assert report.feeds == 5
    assert report.stored == 2
    health = {h.name: h for h in store.feed_health()}
    assert health["moved"].url == site.url("/news.xml")
    assert health["moved"].last_status == 200
    assert health["sneaky"].url == site.url("/sneaky.xml")  # the guard refused the target
    assert health["sneaky"].consecutive_errors == 1
    assert "169.254.169.254" in (health["sneaky"].last_error or "")
    assert health["gone"].enabled is False
    assert health["gone"].last_status == 410
    assert (health["broken"].last_status, health["broken"].consecutive_errors) == (503, 1)
    assert health["broken"].last_error
    assert health["slow"].consecutive_errors == 1
    assert "2s" in (health["slow"].last_error or "")
    for name in ("broken", "slow"):
        assert health[name].last_success is None
        assert health[name].next_poll is not None


async def test_failed_extraction_falls_back_to_feed_content(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """A page that 404s or is not HTML leaves the feed's own summary as the article text."""
    teaser = "Wang Yi spoke about Taiwan at a press conference in Beijing."
    site.route(
        "/f.xml",
        headers=RSS,
        body=rss(
            "F",
            [
                Entry("a", site.url("/missing"), "Missing page", teaser),
                Entry("b", site.url("/file.pdf"), "A PDF", teaser + " (pdf)"),
            ],
        ),
    )
    site.route("/file.pdf", body=b"%PDF-1.4", headers={"content-type": "application/pdf"})
    report = await once(tmp_path, store, [("f", site.url("/f.xml"))])
    assert report.stored == 2
    texts = sorted(text for _g, _u, text, _i, _s in articles(store))
    assert texts == [teaser, teaser + " (pdf)"]
    assert "wang-yi" in tags_of(store, site.url("/missing"))


async def test_syndicated_copy_is_one_story_and_alerts_once(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """The same body under another URL and title on a second feed joins the first's story."""
    serve_story(site)
    copy = ["BEIJING (Wire Service) - " + STORY[0], *STORY[1:]]
    site.route(
        "/wire.xml",
        headers=RSS,
        body=rss(
            "Wire",
            [Entry("w-1", site.url("/wire/beijing-warns-on-island"), "Beijing issues warning")],
        ),
    )
    site.route(
        "/wire/beijing-warns-on-island", body=page("Beijing issues warning", copy), headers=HTML
    )
    site.route("/hook", status=204)
    watches = (
        '[[watch]]\nname = "taiwan-desk"\nquery = "issue:taiwan AND actor:wang-yi"\n'
        'notify = ["hook"]\n\n[channel.hook]\ntype = "webhook"\n'
        f'url = "{site.url("/hook")}"\n'
    )
    await once(
        tmp_path, store, [("news", site.url("/news.xml")), ("wire", site.url("/wire.xml"))], watches
    )
    rows = {url: (ident, story) for _g, url, _t, ident, story in articles(store)}
    first = rows[site.url("/2026/taiwan-warning")]
    copied = rows[site.url("/wire/beijing-warns-on-island")]
    assert copied[1] == first[1]
    with store.db.read() as s:
        outbox = (
            s.connection()
            .execute(sa.select(OutboxRow.__table__.c.watch, OutboxRow.__table__.c.story_id))
            .all()
        )  # type: ignore[attr-defined]
    assert [tuple(r) for r in outbox] == [("taiwan-desk", first[1])]


async def test_alert_bodies_are_built_only_for_new_articles_of_notifying_watches(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """The alert body is built before the write (off the writer thread) for the articles the
    store reports unseen, and only for watches that notify a channel: a re-read item or a
    watch without channels costs no payload."""
    serve_story(site)
    site.route("/hook", status=204)
    watches = (
        '[[watch]]\nname = "all"\nnotify = ["hook"]\n\n'
        '[[watch]]\nname = "quiet"\n\n'
        f'[channel.hook]\ntype = "webhook"\nurl = "{site.url("/hook")}"\n'
    )
    built: list[tuple[str, str]] = []
    async with runtime(tmp_path, store, [("news", site.url("/news.xml"))], watches) as rt:
        pipeline = rt.pipeline
        payload = pipeline._payload

        def counting(**kw: Any) -> Mapping[str, Any]:
            built.append((kw["watch"], kw["article"].guid))
            return payload(**kw)

        pipeline._payload = counting
        await Daemon(rt).run_once()
        assert sorted(built) == [("all", "n-1"), ("all", "n-2")]
        site.route(
            "/news.xml",
            headers=RSS,
            body=rss(
                "News",
                [  # changed: one item more
                    Entry("n-1", site.url("/2026/taiwan-warning?utm_source=rss"), "Minister warns"),
                    Entry("n-2", site.url("/2026/chemicals"), "New port inspections"),
                    Entry("n-3", site.url("/2026/taiwan-again"), "Minister warns again"),
                ],
            ),
        )
        site.route("/2026/taiwan-again", body=page("Minister warns again", STORY2), headers=HTML)
        built.clear()
        report = await Daemon(rt).run_once(force=True)
    assert report.stored == 1
    assert built == [("all", "n-3")]
    with store.db.read() as s:
        outbox = s.connection().execute(sa.select(OutboxRow.__table__.c.watch)).all()  # type: ignore[attr-defined]
    assert sorted(r[0] for r in outbox) == ["all", "all"]  # n-3 copies n-2: one per story


async def test_full_text_off_uses_feed_content_without_fetching_pages(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """full_text = false stores the feed's own content and never requests the linked page."""
    serve_story(site)
    path = write_config(tmp_path / "feeds.toml", [("news", site.url("/news.xml"))], full_text=False)
    conf = settings(path, store.db.url)
    async with running(prepare(conf, load_config(path)), store, TUNING) as rt:
        report = await Daemon(rt).run_once()
    assert report.stored == 2
    assert site.hits("/2026/taiwan-warning") == []


async def test_items_without_pages_go_to_the_writer_together_and_fail_alone(
    tmp_path: Path, store: Store, site: HTTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed that fetches no pages has its new items prepared on one thread trip and stored
    in one write; an item whose preparation fails is logged and left out, the others kept."""
    entries = [
        Entry(f"k-{i}", site.url(f"/brief/{i}"), f"Port brief number {i}", f"Brief {i} text.")
        for i in range(5)
    ]
    site.route("/briefs.xml", body=rss("Briefs", entries), headers=RSS, etag='"b1"')
    path = write_config(
        tmp_path / "feeds.toml", [("briefs", site.url("/briefs.xml"))], full_text=False
    )
    writes: list[int] = []
    threads: set[int] = set()
    async with running(
        prepare(settings(path, store.db.url), load_config(path)), store, TUNING
    ) as rt:
        pipeline = rt.pipeline
        prepare_one, store_batch = pipeline._prepare, pipeline._store_batch

        def prepare_item(item: Any, article: Any, page_url: Any, story: Any = None) -> Any:
            threads.add(threading.get_ident())
            if item.guid == "k-2":
                raise ValueError("a tagging bug")
            return prepare_one(item, article, page_url, story=story)

        def store_items(batch: Any) -> Any:
            writes.append(len(batch))
            return store_batch(batch)

        monkeypatch.setattr(pipeline, "_prepare", prepare_item)
        monkeypatch.setattr(pipeline, "_store_batch", store_items)
        report = await Daemon(rt).run_once()
    assert report.stored == 4
    assert writes == [4]
    assert len(threads) == 1
    assert threading.get_ident() not in threads
    assert sorted(row.guid for row in articles(store)) == ["k-0", "k-1", "k-3", "k-4"]
    assert site.hits("/brief/0") == []


@pytest.mark.parametrize("shared_fails", [False, True])
async def test_items_without_pages_are_sketched_together_as_each_alone(
    tmp_path: Path,
    store: Store,
    site: HTTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
    shared_fails: bool,
) -> None:
    """A poll's items without pages are sketched in one stories.sketches call; each stored
    signature is the item's own stories.sketch of its text. When the shared call fails,
    every item makes its own sketch and is stored all the same."""
    entries = [
        Entry(f"s-{i}", site.url(f"/s/{i}"), f"Port brief {i}", f"Brief {i} " + " ".join(STORY[:i]))
        for i in range(4)
    ]
    site.route("/s.xml", body=rss("S", entries), headers=RSS, etag='"s1"')
    path = write_config(tmp_path / "feeds.toml", [("s", site.url("/s.xml"))], full_text=False)
    calls: list[int] = []
    shared = stories.sketches

    def sketches(texts: Any) -> Any:
        calls.append(len(texts))
        if shared_fails:
            raise ValueError("a sketch bug")
        return shared(texts)

    monkeypatch.setattr(stories, "sketches", sketches)
    conf = settings(path, store.db.url)
    async with running(prepare(conf, load_config(path)), store, TUNING) as rt:
        report = await Daemon(rt).run_once()
    assert report.stored == 4
    assert calls == [4]
    art = ArticleRow.__table__.c  # type: ignore[attr-defined]
    with store.db.read() as s:
        rows = s.connection().execute(sa.select(art.text, art.story_signature)).all()
    assert len(rows) == 4
    for text, signature in rows:
        assert bytes(signature) == stories.sketch(text).signature


async def test_retry_after_is_honoured_on_errors(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """A 503 with Retry-After: 7200 is not polled again for (at least) two hours."""
    site.route("/busy.xml", status=503, headers={"retry-after": "7200"})
    before = utcnow()
    await once(tmp_path, store, [("busy", site.url("/busy.xml"))])
    [h] = store.feed_health()
    assert h.last_status == 503
    assert h.next_poll is not None
    assert h.next_poll >= before + timedelta(seconds=7200)


async def test_headline_tags_the_article_with_evidence_against_the_stored_text(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """An actor or issue named only in the item's headline tags the article (and can alert);
    its evidence is the headline with the empty span (0, 0), while tags found in the text
    keep offsets into the stored text; a tag in both counts the headline's mention too."""
    import json

    headline = "Antony Blinken to raise fentanyl and export controls in Beijing"
    site.route(
        "/h.xml", headers=RSS, body=rss("H", [Entry("h-1", site.url("/2026/ports"), headline)])
    )
    site.route("/2026/ports", body=page("New port inspections", STORY2), headers=HTML)
    site.route("/hook", status=204)
    watches = (
        '[[watch]]\nname = "blinken"\nquery = "actor:antony-blinken"\n'
        'notify = ["hook"]\n\n[channel.hook]\ntype = "webhook"\n'
        f'url = "{site.url("/hook")}"\n'
    )
    report = await once(tmp_path, store, [("h", site.url("/h.xml"))], watches)
    assert (report.stored, report.matches) == (1, 1)
    [(_g, _u, text, ident, _s)] = articles(store)
    assert "Antony Blinken" not in text
    assert "export controls" not in text
    stored = store.get_article(ident)
    assert stored is not None
    assert stored.title == headline
    tags = {t.id: t for t in stored.tags}
    assert {"antony-blinken", "export-controls", "fentanyl"} <= set(tags)
    for ident_ in ("antony-blinken", "export-controls"):
        evidence = tags[ident_].evidence
        assert (evidence.text, evidence.start, evidence.end) == (headline, 0, 0)
    path = tmp_path / "feeds.toml"
    matcher = prepare(settings(path, store.db.url), load_config(path)).matcher
    [in_text] = [t for t in matcher.tag(text) if t.id == "fentanyl"]
    fentanyl = tags["fentanyl"]
    assert fentanyl.count == in_text.count + 1  # the headline's mention counts
    assert fentanyl.evidence == in_text.evidence
    assert 0 <= fentanyl.evidence.start < fentanyl.evidence.end <= len(text)
    assert "fentanyl" in text[fentanyl.evidence.start : fentanyl.evidence.end]
    with store.db.read() as s:
        [payload] = s.connection().execute(sa.select(OutboxRow.__table__.c.payload)).scalars().all()  # type: ignore[attr-defined]
    evidence = {e["id"]: e["text"] for e in json.loads(payload)["data"]["evidence"]}
    assert evidence["antony-blinken"] == headline
    assert "fentanyl" in evidence["fentanyl"]
    assert evidence["fentanyl"] != headline


async def test_headline_repeated_in_the_text_is_not_counted_twice(
    tmp_path: Path, store: Store, site: HTTPTestServer
) -> None:
    """When the stored text already holds the headline, the text alone is tagged."""
    headline = "Wang Yi warns on Taiwan"
    site.route(
        "/r.xml",
        headers=RSS,
        body=rss(
            "R", [Entry("r-1", site.url("/2026/warn"), headline, teaser=f"{headline}. {STORY[1]}")]
        ),
    )
    site.route("/2026/warn", status=404)  # the feed's teaser is the text
    await once(tmp_path, store, [("r", site.url("/r.xml"))])
    [(_g, _u, text, ident, _s)] = articles(store)
    assert headline in text
    stored = store.get_article(ident)
    assert stored is not None
    path = tmp_path / "feeds.toml"
    matcher = prepare(settings(path, store.db.url), load_config(path)).matcher
    assert {t.id: t.count for t in stored.tags} == {t.id: t.count for t in matcher.tag(text)}
    assert {t.id: t for t in stored.tags} == {
        t.id: t for t in matcher.tag_document(headline, text, published=T0.date())
    }
    taiwan = {t.id: t for t in stored.tags}["taiwan"]
    assert text[taiwan.evidence.start : taiwan.evidence.end].startswith(headline)


async def test_a_stream_of_jobs_shares_trips_while_a_lone_job_goes_at_once() -> None:
    """_Carpool's linger: a job after a quiet spell goes at once; jobs that follow a trip
    closely (articles whose extractions end one by one) wait for company and share the next
    trip, which leaves early once `limit` units wait."""
    import asyncio

    from monitor.pipeline import _Carpool

    trips: list[list[int]] = []

    async def write(jobs: list[int]) -> list[int]:
        trips.append(jobs)
        return [job * 10 for job in jobs]

    pool: _Carpool[int, int] = _Carpool(write, limit=3, linger=0.3)
    started = time.monotonic()
    assert await pool.send(1) == 10  # alone, at once: nothing went before it
    assert time.monotonic() - started < 0.2
    second = asyncio.ensure_future(pool.send(2))  # follows the trip closely: lingers
    await asyncio.sleep(0.05)
    assert trips == [[1]]
    assert await asyncio.gather(second, pool.send(3)) == [20, 30]
    assert trips == [[1], [2, 3]]
    started = time.monotonic()  # three follow closely: the trip leaves once `limit` waits
    assert await asyncio.gather(pool.send(4), pool.send(5), pool.send(6)) == [40, 50, 60]
    assert time.monotonic() - started < 0.2
    assert trips[-1] == [4, 5, 6]
    await asyncio.sleep(0.4)  # a quiet spell: the next job goes at once again
    started = time.monotonic()
    assert await pool.send(7) == 70
    assert time.monotonic() - started < 0.2
    assert trips[-1] == [7]
