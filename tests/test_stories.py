"""Stories: edited copies of real reports join one story; different reports stay apart."""

import collections
import hashlib
import itertools
import multiprocessing.synchronize
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import need_shared
from story_copies import AEB_TRUTH, CNN, EDITS, aeb_bodies, cnn_docs, edited

from monitor import stories
from monitor.store import Store
from monitor.store.models import ArticleRow, OutboxRow, WatchMatchRow
from monitor.store.queries import MatchFilter
from monitor.types import Evidence, FeedSpec, NewArticle, Tag, WatchHit

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RULES = stories.StoryRules()
TAG = Tag("wang-yi", "actor", "Wang Yi", 1, Evidence("Wang Yi", 0, 7))
FEEDS = [f"feed{i}" for i in range(len(EDITS) + 2)]
# The edit kinds the issue measured (goal: at least 98% joined), and the others desks make
GOAL = 0.98


def _joins(copy: str, original: str) -> bool:
    """Whether a copy stored after its original joins it: a shared band key, then the rules."""
    a, b = stories.sketch(copy), stories.sketch(original)
    if not set(a.bands) & set(b.bands) and stories.fingerprint(copy) != stories.fingerprint(
        original
    ):
        return False
    return stories.choose(a, [(1, b.signature, b.size)], RULES) == 1


@pytest.fixture(scope="module")
def bodies() -> list[list[str]]:
    """The AEB bodies of at least six paragraphs."""
    need_shared(AEB_TRUTH)
    return aeb_bodies()


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(EDITS))
def test_each_kind_of_edited_copy_joins_its_original(kind: str, bodies: list[list[str]]) -> None:
    """Over the AEB bodies, at least 98% of the copies of each edit kind join the original
    (a copy cut to its first two paragraphs: of those long enough to be more than a teaser)."""
    joined = total = 0
    for i, paras in enumerate(bodies):
        copy = edited(kind, paras, bodies[(i + 1) % len(bodies)])
        if stories.sketch(copy).words < RULES.min_words:
            continue
        total += 1
        joined += _joins(copy, "\n\n".join(paras))
    assert total >= 0.9 * len(bodies)
    assert joined / total >= GOAL, f"{kind}: {joined}/{total}"


def test_a_teaser_below_the_minimum_length_joins_nothing(bodies: list[list[str]]) -> None:
    """A text of fewer content words than min_words never joins by similarity."""
    body = "\n\n".join(bodies[0])
    teaser = " ".join(body.split()[:25])
    assert stories.sketch(teaser).words < RULES.min_words
    assert not _joins(teaser, body)


@pytest.mark.slow
def test_different_reports_never_join_across_the_aeb_corpus(bodies: list[list[str]]) -> None:
    """No two different AEB reports join (all pairs)."""
    sketches = [stories.sketch("\n\n".join(p)) for p in bodies]
    joined = [
        (a, b)
        for a, b in itertools.combinations(range(len(sketches)), 2)
        if stories.score(sketches[a], sketches[b].signature, sketches[b].size, RULES)
    ]
    assert joined == []


def _same_event_pairs() -> list[tuple[str, str, str, str]]:
    """cnn-2024: captures of different stories on one day that share at least a fifth of
    their content words (same event, same actors): (file, file, body, body)."""
    docs = cnn_docs()
    words = [set(stories.content_words(d[3])) for d in docs]
    by_day: dict[str, list[int]] = collections.defaultdict(list)
    for i, doc in enumerate(docs):
        by_day[doc[2]].append(i)
    pairs = []
    for ids in by_day.values():
        for a, b in itertools.combinations(ids, 2):
            shared = len(words[a] & words[b]) / len(words[a] | words[b])
            if docs[a][1] != docs[b][1] and shared >= 0.2:
                pairs.append((docs[a][0], docs[b][0], docs[a][3], docs[b][3]))
    return pairs


@pytest.mark.slow
def test_different_reports_on_the_same_event_stay_apart() -> None:
    """Different CNN stories of one day on one event (a shooting, an assassination, a trial:
    same actors, many shared words) stay two stories."""
    need_shared(CNN)
    pairs = _same_event_pairs()
    assert len(pairs) >= 100
    joined = [(a, b) for a, b, x, y in pairs if _joins(x, y) or _joins(y, x)]
    assert joined == []


@pytest.mark.slow
def test_captures_of_one_cnn_story_under_edited_headlines_mostly_join() -> None:
    """The archive's captures of one story (edited headlines, updated bodies): most join."""
    need_shared(CNN)
    by_story: dict[int, list[str]] = collections.defaultdict(list)
    for _name, story, _day, body in cnn_docs():
        by_story[story].append(body)
    pairs = [(a, b) for bodies in by_story.values() for a, b in itertools.pairwise(bodies)]
    joined = sum(_joins(b, a) for a, b in pairs)
    assert joined / len(pairs) >= 0.9


# ---- the store, on both databases ----


def _setup(store: Store) -> None:
    store.sync_feeds([FeedSpec(name, f"https://{name}.example/rss") for name in FEEDS], NOW)


def _article(
    feed: str, n: int, text: str, *, published: datetime | None = None, title: str | None = None
) -> NewArticle:
    url = f"https://{feed}.example/{n}"
    return NewArticle(
        feed=feed,
        guid=f"g{n}",
        url=url,
        canonical_url=url,
        title=title or f"Headline {n}",
        author=None,
        published=published or NOW - timedelta(hours=1),
        language="en",
        text=text,
        fingerprint=stories.fingerprint(text),
        tags=(TAG,),
        sketch=stories.sketch(text),
    )


def _hit(watch: str = "desk") -> WatchHit:
    return WatchHit(watch, ("hook",), {"type": "match.created", "data": {"watch": watch}})


def _outbox(store: Store) -> list[tuple[int, int, str]]:
    t = OutboxRow.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        rows = s.connection().execute(sa.select(t.c.article_id, t.c.story_id, t.c.payload))
        return [(int(a), int(b), str(p)) for a, b, p in rows]


def _count(store: Store, model: type) -> int:
    with store.db.read() as s:
        return int(
            s.connection()
            .execute(sa.select(sa.func.count()).select_from(model.__table__))
            .scalar_one()
        )  # type: ignore[attr-defined]


def test_every_kind_of_copy_joins_one_story_and_the_watch_alerts_once(
    store: Store, bodies: list[list[str]]
) -> None:
    """An original and one copy of each edit kind on other feeds: one story, the first copy
    alerts, the later ones are matches but no alerts; the payload names story and copies."""
    import json

    _setup(store)
    paras = bodies[3]
    first = store.add_article(_article(FEEDS[0], 0, "\n\n".join(paras)), [_hit()], now=NOW)
    assert first is not None
    later = []
    for i, kind in enumerate(sorted(EDITS), start=1):
        got = store.add_article(
            _article(FEEDS[i], i, edited(kind, paras, bodies[4])),
            [_hit()],
            now=NOW + timedelta(minutes=i),
        )
        assert got is not None
        assert got.story_id == first.id, kind
        later.append(got)
    assert later[-1].copies
    assert {c.feed for c in later[-1].copies} >= {FEEDS[0], FEEDS[1]}
    alerts = _outbox(store)
    assert [(a, s) for a, s, _ in alerts] == [(first.id, first.id)]
    assert json.loads(alerts[0][2])["data"]["story"] == first.id
    assert _count(store, WatchMatchRow) == len(EDITS) + 1


def test_a_copy_that_arrives_first_still_joins(store: Store, bodies: list[list[str]]) -> None:
    """Order does not matter: the trimmed copy stored before the full report joins it."""
    _setup(store)
    paras = bodies[5]
    trimmed = store.add_article(_article(FEEDS[0], 0, "\n\n".join(paras[:2])), [], now=NOW)
    full = store.add_article(_article(FEEDS[1], 1, "\n\n".join(paras)), [], now=NOW)
    cut = store.add_article(_article(FEEDS[2], 2, "\n\n".join(paras[:-1])), [], now=NOW)
    assert trimmed is not None
    assert full is not None
    assert cut is not None
    assert full.story_id == trimmed.id
    assert cut.story_id == trimmed.id


def test_two_reports_of_one_meeting_stay_two_stories(store: Store) -> None:
    """Two outlets' own reports of the same meeting (same actors, same day) are two stories."""
    one = (
        "Secretary of State Antony Blinken met Chinese Foreign Minister Wang Yi in Beijing "
        "on Monday. The two spent more than five hours together and agreed to restore "
        "military hotlines suspended last year, while differences over Taiwan, fentanyl "
        "precursors and chip export controls remained. Blinken told reporters the talks "
        "were candid; Wang warned Washington against crossing red lines on Taiwan."
    )
    two = (
        "Wang Yi hosted Antony Blinken for marathon talks in the Chinese capital on Monday, "
        "with Beijing's top diplomat pressing the American envoy over Taiwan and new "
        "curbs on semiconductor sales. Both governments said they would reopen channels "
        "between their armed forces. US officials described the meeting as frank and "
        "said counternarcotics cooperation on fentanyl would be tested within weeks."
    )
    _setup(store)
    a = store.add_article(_article(FEEDS[0], 0, one), [_hit()], now=NOW)
    b = store.add_article(_article(FEEDS[1], 1, two), [_hit()], now=NOW)
    assert a is not None
    assert b is not None
    assert b.story_id == b.id != a.story_id
    assert len(_outbox(store)) == 2


def test_lists_show_one_entry_per_story_the_earliest_copy(
    store: Store, bodies: list[list[str]]
) -> None:
    """A story that gains an earlier-published copy is listed once, by that copy, with the
    other under copies; all_copies lists both; story= lists the story's copies."""
    _setup(store)
    text = "\n\n".join(bodies[6])
    late = store.add_article(_article(FEEDS[0], 0, text, published=NOW), [_hit()], now=NOW)
    early = store.add_article(
        _article(FEEDS[1], 1, "LONDON (Wire) - " + text, published=NOW - timedelta(hours=5)),
        [_hit()],
        now=NOW + timedelta(minutes=1),
    )
    other = store.add_article(
        _article(FEEDS[2], 2, "\n\n".join(bodies[7])), [_hit()], now=NOW + timedelta(minutes=2)
    )
    assert late is not None
    assert early is not None
    assert other is not None
    assert early.story_id == late.id
    folded = store.find_matches(MatchFilter()).items
    assert [r.article_id for r in folded] == [other.id, early.id]
    assert [(c.feed, c.url) for c in folded[1].copies] == [(FEEDS[0], late.url)]
    assert folded[1].story_id == late.id
    assert [r.article_id for r in store.find_matches(MatchFilter(watch="desk")).items] == [
        other.id,
        early.id,
    ]
    every = store.find_matches(MatchFilter(all_copies=True)).items
    assert [r.article_id for r in every] == [other.id, early.id, late.id]
    one = store.find_matches(MatchFilter(story=late.id)).items
    assert [r.article_id for r in one] == [early.id, late.id]
    shown = store.get_article(late.id)
    assert shown is not None
    assert [c.article_id for c in shown.copies] == [early.id]
    biggest = store.biggest_stories(NOW - timedelta(days=1))
    assert (biggest[0].story_id, biggest[0].copies, biggest[0].feeds) == (late.id, 2, 2)
    assert biggest[0].url == early.url


def test_a_watch_only_a_later_copy_matched_still_lists_the_story(
    store: Store, bodies: list[list[str]]
) -> None:
    """A watch that only a later copy satisfies (a `feed:` watch on the second outlet) lists
    the story once, by that copy, in its folded page and its text search; the unfiltered
    list shows the story by its earliest copy."""
    _setup(store)
    text = "\n\n".join(bodies[9])
    first = store.add_article(_article(FEEDS[0], 0, text), [], now=NOW)
    later = store.add_article(
        _article(FEEDS[1], 1, "LONDON (Wire) - " + text),
        [_hit("second-outlet")],
        now=NOW + timedelta(minutes=1),
    )
    assert first is not None
    assert later is not None
    assert later.story_id == first.id
    watch = store.find_matches(MatchFilter(watch="second-outlet")).items
    assert [r.article_id for r in watch] == [later.id]
    word = max(stories.content_words(text), key=len)
    searched = store.find_matches(MatchFilter(watch="second-outlet", text=word)).items
    assert [r.article_id for r in searched] == [later.id]
    assert [r.article_id for r in store.find_matches(MatchFilter()).items] == [first.id]


def test_a_folded_text_search_skips_later_copies(store: Store, bodies: list[list[str]]) -> None:
    """Full-text search pages fold copies too (both dialects' search paths)."""
    _setup(store)
    text = "\n\n".join(bodies[8])
    word = max(stories.content_words(text), key=len)
    a = store.add_article(_article(FEEDS[0], 0, text), [_hit()], now=NOW)
    b = store.add_article(
        _article(FEEDS[1], 1, text + "\n\nReporting by Jane Roe"),
        [_hit()],
        now=NOW + timedelta(minutes=1),
    )
    assert a is not None
    assert b is not None
    assert b.story_id == a.id
    found = store.find_matches(MatchFilter(text=word)).items
    assert [r.article_id for r in found] == [a.id]
    found = store.find_matches(MatchFilter(text=word, all_copies=True)).items
    assert [r.article_id for r in found] == [b.id, a.id]


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_writers_of_copies_end_in_one_story(
    store: Store, bodies: list[list[str]], round_: int
) -> None:
    """Copies of one report stored at the same moment by several writers (threads, each its
    own transaction) end in one story with one alert, on both databases, whatever order the
    writers commit in. (Copies that share no text, such as the first half and a copy under a
    rewritten lede, may open two stories until a copy of both arrives and merges them: see
    the next test; which of them commits first is up to the scheduler, so they are not
    among these.)"""
    _setup(store)
    paras = bodies[10 + round_]
    kinds = [
        "exact copy",
        "dateline added",
        "credit line added",
        "last paragraph cut",
        "words changed",
        "update paragraph added",
        "last two paragraphs cut",
    ]
    texts = [edited(k, paras, bodies[20]) for k in kinds]
    barrier = threading.Barrier(len(texts))
    results: list[int] = []
    lock = threading.Lock()

    def add(i: int) -> None:
        barrier.wait()
        got = store.add_article(_article(FEEDS[i], i, texts[i]), [_hit()], now=NOW)
        assert got is not None
        with lock:
            results.append(got.story_id)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(texts)
    assert len(set(results)) == 1
    assert len(_outbox(store)) == 1
    t = ArticleRow.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        shown = (
            s.connection()
            .execute(sa.select(sa.func.count()).where(t.c.is_copy == sa.false()))
            .scalar_one()
        )
    assert shown == 1


def test_an_original_arriving_last_merges_the_stories_its_copies_opened(
    store: Store, bodies: list[list[str]]
) -> None:
    """Two copies that share no text (the first two paragraphs only; the rest under a new
    lede) open two stories; their original, stored last, joins both into one."""
    _setup(store)
    paras = next(
        p for p in bodies if len(p) >= 10 and stories.sketch("\n\n".join(p[:2])).words >= 40
    )
    other = next(p for p in bodies if p[0] not in paras)
    rewritten = "\n\n".join([other[0], *paras[2:]])
    trimmed = edited("first two paragraphs only", paras, other)
    a = store.add_article(_article(FEEDS[0], 0, rewritten), [_hit()], now=NOW)
    b = store.add_article(_article(FEEDS[1], 1, trimmed), [_hit()], now=NOW)
    assert a is not None
    assert b is not None
    assert b.story_id == b.id != a.story_id  # not copies of each other
    original = store.add_article(_article(FEEDS[2], 2, "\n\n".join(paras)), [_hit()], now=NOW)
    assert original is not None
    assert original.story_id == a.id
    assert {c.article_id for c in original.copies} == {a.id, b.id}
    t = WatchMatchRow.__table__  # type: ignore[attr-defined]
    with store.db.read() as s:
        stories_of = set(s.connection().execute(sa.select(t.c.story_id)).scalars())
    assert stories_of == {a.id}
    assert [r.article_id for r in store.find_matches(MatchFilter()).items] == [a.id]


def test_story_thresholds_are_settings_with_documented_defaults() -> None:
    """MONITOR_STORY_* set the join rules; unset, they are the defaults the README gives."""
    from monitor.config import load_settings

    assert stories.rules_of(load_settings({})) == stories.StoryRules(
        jaccard=0.5, containment=0.85, min_jaccard=0.12, lead=0.6, min_words=20
    )
    env = {"MONITOR_STORY_JACCARD": "0.7", "MONITOR_STORY_MIN_WORDS": "50"}
    rules = stories.rules_of(load_settings(env))
    assert (rules.jaccard, rules.min_words) == (0.7, 50)
    text = "\n\n".join(["Officials met in Geneva on Monday to discuss shipping lanes."] * 3)
    assert stories.sketch(text).words < 50
    assert (
        stories.choose(stories.sketch(text), [(1, stories.sketch(text).signature, 10)], rules)
        is None
    )


def _daemon(
    url: str,
    feed: int,
    text: str,
    start: "multiprocessing.synchronize.Barrier",
    out: "multiprocessing.Queue[int]",
) -> None:
    """One daemon process: its own engine, storing one copy when all are ready."""
    from monitor.store import Database

    db = Database(url)
    try:
        start.wait(30)
        got = Store(db).add_article(_article(FEEDS[feed], feed, text), [_hit()], now=NOW)
        out.put(-1 if got is None else got.story_id)
    finally:
        db.dispose()


@pytest.mark.slow
def test_daemon_processes_storing_copies_at_once_make_one_story(
    db_url: str, store: Store, bodies: list[list[str]]
) -> None:
    """Several processes (as several daemons on one database) store copies of one report at
    the same moment: one story, one alert, on both databases."""
    import multiprocessing

    _setup(store)
    paras = bodies[30]
    kinds = [
        "exact copy",
        "dateline added",
        "credit line added",
        "last paragraph cut",
        "lede rewritten",
        "first half only",
    ]
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(len(kinds))
    out: multiprocessing.Queue[int] = ctx.Queue()
    procs = [
        ctx.Process(target=_daemon, args=(db_url, i, edited(k, paras, bodies[31]), start, out))
        for i, k in enumerate(kinds)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * len(kinds)
    stories_of = {out.get(timeout=5) for _ in kinds}
    assert len(stories_of) == 1
    assert len(_outbox(store)) == 1


def test_the_story_text_drops_a_leading_headline_line() -> None:
    """A copy under another headline (extraction puts the page's <h1> first) has the same
    story text, so the same fingerprint and sketch; a first line that is not a headline stays."""
    body = " ".join(["Officials met on Tuesday to discuss the export rules."] * 30)
    assert stories.story_text("Headline one\n" + body, "Headline one") == body
    assert stories.story_text("Headline two\n" + body, None, "Headline two") == body
    assert (
        stories.story_text("Not a headline\n" + body, "Headline one") == "Not a headline\n" + body
    )
    assert stories.story_text("Headline one", "Headline one") == "Headline one"
    assert stories.sketch(
        stories.story_text("Headline two\n" + body, "Headline two")
    ) == stories.sketch(stories.story_text("Headline one\n" + body, "Headline one"))


_KEYS_SCRIPT = (
    "import sys; from monitor import stories; "
    "print(stories.fingerprint_key(sys.argv[1]), stories.story_key(12345), "
    "*stories.copy_keys(sys.argv[1], stories.sketch(sys.argv[2]), stories.StoryRules()))"
)


def test_lock_keys_are_the_same_in_every_process() -> None:
    """Two daemons take the same advisory locks for one fingerprint, story and text: the keys
    do not depend on the per-process salt of hash() (PYTHONHASHSEED)."""
    fingerprint = "not hex: \u00e9t\u00e9 " + stories.fingerprint("x")
    text = " ".join(f"word{i} follows another word{i + 1}" for i in range(40))
    outputs = []
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _KEYS_SCRIPT, fingerprint, text],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        outputs.append(done.stdout.split())
    sketch = stories.sketch(text)
    here = [
        str(k)
        for k in (
            stories.fingerprint_key(fingerprint),
            stories.story_key(12345),
            *stories.copy_keys(fingerprint, sketch, RULES),
        )
    ]
    assert outputs[0] == outputs[1] == outputs[2] == here
    assert len(here) > 3  # the text is indexed: its band keys are lock keys too
    assert len(set(here[2:])) == len(here[2:])  # sorted, distinct
    assert stories.fingerprint_key(fingerprint) != stories.fingerprint_key(fingerprint + "!")
    assert stories.story_key(1) != stories.story_key(2)


def _datasketch_minima(hashes: list[int], num_perm: int, seed: int) -> bytes:
    from datasketch import LeanMinHash, MinHash

    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=int)
    if hashes:
        minhash.update_batch(hashes)
    return bytes(LeanMinHash(minhash).hashvalues.astype("<u4").tobytes())


def test_sketches_are_datasketch_minhashes_and_keys_stay_stable(
    bodies: list[list[str]],
) -> None:
    """The sketch's minima are what datasketch's MinHash keeps for the same shingles and
    seeds, and the band keys the blake2b digests of its bands: signatures and keys stored
    by earlier releases still compare (the minima are computed without a MinHash object)."""
    texts = ["\n\n".join(paragraphs) for paragraphs in bodies[:60]] + ["", "one two", "a b c d"]
    for text in texts:
        words = stories.content_words(text)
        whole = stories.shingle_hashes(words).tolist()
        lead = stories.shingle_hashes(words[: stories.LEAD_WORDS]).tolist()
        expected = _datasketch_minima(whole, stories.NUM_PERM, 1) + _datasketch_minima(
            lead, stories.LEAD_PERM, 2
        )
        sketch = stories.sketch(text)
        assert sketch.signature == expected
        first = [
            int.from_bytes(
                hashlib.blake2b(
                    expected[b * 8 : b * 8 + 8], digest_size=8, person=bytes([b, 0])
                ).digest(),
                "little",
                signed=True,
            )
            for b in range(stories.BANDS)
        ]
        assert list(sketch.bands[: stories.BANDS]) == first


def test_sketches_of_many_texts_equal_each_ones_sketch(
    bodies: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """stories.sketches (a feed's texts in shared array operations) gives each text exactly
    its own sketch: signature, size, band keys, words; texts of 0, 1, 2 and 3 words, texts
    shorter and longer than the lead, repeated words and texts, and texts spread over
    several groups among them."""
    texts = ["\n\n".join(paragraphs) for paragraphs in bodies[:40]]
    texts += [paragraphs[0] for paragraphs in bodies[:20]]
    texts += ["", "one", "one two", "one two three", "the of and", "Word word word word"]
    texts += [" ".join(["alpha", "beta"] * n) for n in (9, 10, 11, 30)] + [texts[0], ""]
    expected = [stories.sketch(text) for text in texts]
    assert stories.sketches(texts) == expected
    assert stories.sketches(texts[::-1]) == expected[::-1]
    assert stories.sketches([]) == []
    monkeypatch.setattr(stories, "_GROUP_WORDS", 50)  # many groups, long texts alone
    assert stories.sketches(texts) == expected


def test_copies_of_decides_each_candidate_as_score_does(bodies: list[list[str]]) -> None:
    """copies_of (one array comparison over all candidates) names exactly the candidates
    `score` accepts one by one, whatever the rules, with odd-sized signatures among them."""
    sketches = []
    for paragraphs in bodies[:40]:
        sketches += [
            stories.sketch("\n\n".join(paragraphs)),
            stories.sketch("\n\n".join(paragraphs[:2])),
            stories.sketch("\n\n".join(paragraphs[1:])),
        ]
    candidates = [(i, s.signature, s.size) for i, s in enumerate(sketches)]
    candidates.append((-1, b"\x01" * 8, 30))
    looser = stories.StoryRules(jaccard=0.3, containment=0.6, lead=0.4, min_words=5)
    joined = 0
    for a in sketches:
        for rules in (RULES, looser):
            expected = sorted(
                {story for story, sig, size in candidates if stories.score(a, sig, size, rules) > 0}
            )
            got = stories.copies_of(a, candidates, rules)
            assert got == (expected if stories.indexed(a, rules) else [])
            joined += len(got)
    assert joined > len(sketches)  # copies were found, not only nothing
