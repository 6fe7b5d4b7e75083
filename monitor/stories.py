"""Pure: story identity. The exact fingerprint, MinHash sketches over word shingles, LSH band
keys, the join decision and its thresholds, and the advisory-lock keys of a join; every hash
here is stable across processes and releases (stored keys and signatures compare)."""

import functools
import hashlib
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from monitor.types import StorySketch as Sketch

if TYPE_CHECKING:
    from monitor.config import Settings

_SEED = 1  # fixed: signatures stored by one release must compare with the next one's
# English function words: frequent in every text, so they pull unrelated stories together.
STOPWORDS = frozenset(
    {
        "a",
        "about",
        "after",
        "against",
        "all",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "down",
        "during",
        "each",
        "even",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "like",
        "may",
        "me",
        "more",
        "most",
        "mr",
        "mrs",
        "ms",
        "much",
        "must",
        "my",
        "new",
        "no",
        "not",
        "now",
        "of",
        "off",
        "on",
        "one",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "said",
        "says",
        "she",
        "should",
        "since",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "two",
        "under",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "will",
        "with",
        "would",
        "year",
        "years",
        "you",
        "your",
    }
)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class StoryRules:
    """The thresholds of a join (MONITOR_STORY_* settings); defaults measured in BENCHMARKS.md.

    A copy joins a stored article's story when its estimated Jaccard similarity reaches
    `jaccard`, or when the smaller text is at least `containment` contained in the larger
    one (a trimmed copy) and their Jaccard is at least `min_jaccard` (so a short text
    cannot be "contained" in a long one by a chance equal minimum), or when their leads
    (the first LEAD_WORDS content words) have a Jaccard of at least `lead`: a copy cut to
    its first paragraphs shares too little of a long original for the whole-text
    estimate, but keeps its lede. Texts with fewer
    than `min_words` content words join only by an identical fingerprint.
    """

    jaccard: float = 0.5
    containment: float = 0.85
    min_jaccard: float = 0.12
    lead: float = 0.6
    min_words: int = 20


def rules_of(settings: "Settings") -> StoryRules:
    """The StoryRules the MONITOR_STORY_* settings describe."""
    return StoryRules(
        jaccard=settings.story_jaccard,
        containment=settings.story_containment,
        min_jaccard=settings.story_min_jaccard,
        lead=settings.story_lead,
        min_words=settings.story_min_words,
    )


def story_text(text: str, *titles: str | None) -> str:
    """The text that identifies a story: without a leading headline line, which syndicated
    copies rewrite (extraction puts the page's <h1> first)."""
    first, sep, rest = text.partition("\n")
    if sep and rest.strip() and first.strip() in {t.strip() for t in titles if t}:
        return rest
    return text


def normalise_text(text: str) -> str:
    """NFKC, case-folded, words only, single spaces: what two copies of a story share."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def fingerprint(text: str) -> str:
    """sha256 (hex) of the normalised text: equal for copies that differ only in spacing/case
    (an identical copy joins its story whatever its length)."""
    return _digest(normalise_text(text))


def _digest(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Identity:
    """What the store is given to find a text's story: its fingerprint and its sketch."""

    fingerprint: str
    sketch: Sketch


def identify(text: str, *titles: str | None) -> Identity:
    """`fingerprint` and `sketch` of `story_text(text, *titles)`, normalising it once."""
    normalised = normalise_text(story_text(text, *titles))
    return Identity(_digest(normalised), _sketch_of(_content(normalised)))


# The signature's shape is fixed (stored signatures must stay comparable): 128 minima, the
# first 64 of them in 32 bands of 2 rows. A pair with Jaccard s shares one of those bands
# with probability 1-(1-s^2)^32: 0.95 at s = 0.3, 0.9999 at 0.5 (the join threshold);
# unrelated news (s < 0.002 over content-word 3-shingles) almost never. Fewer keys per
# article mean fewer random index pages touched per write (bench/bench_stories.py); copies
# with a lower similarity are found by the lead's bands. All 128 minima verify a candidate.
NUM_PERM = 128
BAND_ROWS = 2
BANDS = 32
SHINGLE = 3
# The lead: the first LEAD_WORDS content words, LEAD_PERM minima in LEAD_BANDS bands of 4.
LEAD_WORDS = 20
LEAD_PERM = 32
LEAD_ROWS = 4
LEAD_BANDS = LEAD_PERM // LEAD_ROWS
_MASK32 = np.uint64(0xFFFFFFFF)


def content_words(text: str) -> list[str]:
    """Normalised words without function words: what copies of one report share."""
    return _content(normalise_text(text))


def _content(normalised: str) -> list[str]:
    return [w for w in normalised.split() if w not in STOPWORDS]


def shingle_hashes(words: Sequence[str]) -> "np.ndarray[tuple[int], np.dtype[np.uint64]]":
    """Distinct 32-bit hashes of the word SHINGLE-grams (stable across processes: CRC-32 of
    each word, combined polynomially; MinHash then applies its own universal hashing)."""
    table = {w: zlib.crc32(w.encode("utf-8")) for w in set(words)}
    hashed = np.fromiter((table[w] for w in words), dtype=np.uint64, count=len(words))
    if len(words) < SHINGLE:
        return np.unique(hashed[:1] if len(words) else hashed)
    combined = hashed[: len(words) - SHINGLE + 1].copy()
    for i in range(1, SHINGLE):  # polynomial combination, kept within 32 bits
        combined = (
            combined * np.uint64(1_000_003) + hashed[i : len(words) - SHINGLE + 1 + i]
        ) & _MASK32
    return np.unique(combined)


_U64 = np.ndarray[tuple[int], np.dtype[np.uint64]]
# datasketch's universal hashing of a MinHash (its CPU path): ((h * a + b) mod p) & 2^32-1
_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


SketchTables = dict[tuple[int, int], tuple[_U64, _U64]]
_PERMUTATIONS: SketchTables = {}


def _permutations(num_perm: int, seed: int) -> "tuple[_U64, _U64]":
    """datasketch's permutations (a, b) for (num_perm, seed), made once. datasketch (and the
    scipy it imports, ~0.5 s and ~50 MiB) loads on the first sketch, not with the store: read
    commands never sketch; a process given `sketch_tables` never loads it."""
    found = _PERMUTATIONS.get((num_perm, seed))
    if found is None:
        from datasketch import MinHash

        a, b = MinHash(num_perm=num_perm, seed=seed).permutations
        found = np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)
        _PERMUTATIONS[num_perm, seed] = found
    return found


def sketch_tables() -> SketchTables:
    """The permutations every sketch uses, for another process (`use_sketch_tables`)."""
    return {key: _permutations(*key) for key in ((NUM_PERM, _SEED), (LEAD_PERM, _SEED + 1))}


def use_sketch_tables(tables: SketchTables) -> None:
    """Sketch with `tables` (from `sketch_tables` in another process) instead of loading
    datasketch to make them: the extraction workers."""
    _PERMUTATIONS.update(tables)


def _minima(
    hashes: "np.ndarray[tuple[int], np.dtype[np.uint64]]", num_perm: int, seed: int
) -> bytes:
    """The minima datasketch's `MinHash(num_perm, seed).update_batch(hashes)` keeps, as 32-bit
    little-endian values: its own arithmetic over all the hashes at once, without a MinHash
    object and a Python call per hash (a quarter of the sketch's CPU). tests/test_stories.py
    compares the two."""
    if not len(hashes):
        return np.full(num_perm, _MAX_HASH, dtype="<u4").tobytes()
    a, b = _permutations(num_perm, seed)
    permuted = (hashes.reshape(-1, 1) * a + b) % _MERSENNE_PRIME & _MAX_HASH
    return bytes(permuted.min(axis=0).astype("<u4").tobytes())


def sketch(text: str) -> Sketch:
    """The sketch of a story's body text."""
    return _sketch_of(content_words(text))


def _sketch_of(words: list[str]) -> Sketch:
    hashes = shingle_hashes(words)
    whole = _minima(hashes, NUM_PERM, _SEED)
    lead = _minima(shingle_hashes(words[:LEAD_WORDS]), LEAD_PERM, _SEED + 1)
    return _assemble(whole, lead, len(hashes), len(words))


def sketches(texts: Sequence[str]) -> list[Sketch]:
    """`sketch` of each text, equal to it, in a few array operations for several texts at
    once: a short text's sketch is mostly numpy's fixed cost per call (~70 us for a
    two-sentence summary, a fifth of it arithmetic), which a feed's items then share. Texts
    go together up to _GROUP_WORDS words (the permuted array of a group is ~1 KiB a word)."""
    out: list[Sketch] = []
    group: list[list[str]] = []
    size = 0
    for text in texts:
        words = content_words(text)
        if group and size + len(words) > _GROUP_WORDS:
            out += _sketch_group(group)
            group, size = [], 0
        group.append(words)
        size += len(words)
    return out + _sketch_group(group) if group else out


_GROUP_WORDS = 4096


def _sketch_group(words: Sequence[Sequence[str]]) -> list[Sketch]:
    table = {w: zlib.crc32(w.encode("utf-8")) for w in {w for ws in words for w in ws}}
    counts = np.fromiter((len(ws) for ws in words), dtype=np.int64, count=len(words))
    hashed = np.fromiter(
        (table[w] for ws in words for w in ws), dtype=np.uint64, count=int(counts.sum())
    )
    whole, sizes = _all_minima(hashed, counts, counts, NUM_PERM, _SEED)
    lead, _ = _all_minima(hashed, counts, np.minimum(counts, LEAD_WORDS), LEAD_PERM, _SEED + 1)
    return [
        _assemble(w, d, size, len(ws))
        for w, d, size, ws in zip(whole, lead, sizes, words, strict=True)
    ]


def _assemble(whole: bytes, lead: bytes, size: int, words: int) -> Sketch:
    keys = band_keys(whole[: 4 * BAND_ROWS * BANDS], BAND_ROWS, 0)
    if words >= LEAD_WORDS:  # a shorter text's lead is all of it: the text bands do
        keys += band_keys(lead, LEAD_ROWS, BANDS)
    return Sketch(whole + lead, size, keys, words)


def _all_minima(
    hashed: _U64,
    counts: "np.ndarray[tuple[int], np.dtype[np.int64]]",
    used: Any,
    num_perm: int,
    seed: int,
) -> tuple[list[bytes], list[int]]:
    """For each text, `_minima(shingle_hashes(words[:used]), num_perm, seed)` and its count
    of distinct shingles. `hashed`: every text's word hashes one after the other (`counts`
    a text). The shingles of all texts are combined as `shingle_hashes` combines them,
    tagged with their text's index, deduplicated and permuted together; then each text's
    minima are those of its rows."""
    texts = len(counts)
    empty = np.full(num_perm, _MAX_HASH, dtype="<u4").tobytes()
    if not len(hashed):
        return [empty] * texts, [0] * texts
    starts = np.cumsum(counts) - counts
    owner = np.repeat(np.arange(texts, dtype=np.uint64), counts)
    offset = np.arange(len(hashed), dtype=np.int64) - np.repeat(starts, counts)
    combined = hashed.copy()  # (the last SHINGLE-1 positions never start a shingle)
    last = len(hashed) - SHINGLE + 1
    if last > 0:
        window = hashed[:last].copy()
        for i in range(1, SHINGLE):
            window = (window * np.uint64(1_000_003) + hashed[i : last + i]) & _MASK32
        combined[:last] = window
    mine = np.repeat(used, counts)
    # a shingle starts where SHINGLE words of the text's used part remain; a text of fewer
    # words has one "shingle": its first word's hash
    keep = (offset + SHINGLE <= mine) | ((mine < SHINGLE) & (offset == 0) & (mine > 0))
    shingles = np.where(mine >= SHINGLE, combined, hashed)[keep]
    tagged = np.unique(shingles | (owner[keep] << np.uint64(32)))
    rows_of = (tagged >> np.uint64(32)).astype(np.int64)
    sizes = np.bincount(rows_of, minlength=texts).tolist()
    if not len(tagged):
        return [empty] * texts, sizes
    a, b = _permutations(num_perm, seed)
    permuted = ((tagged & _MASK32).reshape(-1, 1) * a + b) % _MERSENNE_PRIME & _MAX_HASH
    present = [i for i in range(texts) if sizes[i]]
    first = np.searchsorted(rows_of, present)
    minima = np.minimum.reduceat(permuted, first, axis=0).astype("<u4")
    out = [empty] * texts
    for row, index in enumerate(present):
        out[index] = minima[row].tobytes()
    return out, sizes


def band_keys(raw: bytes, rows: int, first: int) -> tuple[int, ...]:
    """One signed 64-bit key per band of `rows` minima (bands numbered from `first`):
    equal keys mean equal minima in that band."""
    width = 4 * rows
    digests = []
    for band, state in enumerate(_band_states(first, len(raw) // width)):
        hasher = state.copy()  # as stable_key hashes each band, without a call per band
        hasher.update(raw[band * width : (band + 1) * width])
        digests.append(hasher.digest())
    return tuple(np.frombuffer(b"".join(digests), dtype="<i8").tolist())


@functools.cache
def _band_states(first: int, bands: int) -> "tuple[hashlib.blake2b, ...]":
    return tuple(_blake2b((first + band).to_bytes(2, "little")) for band in range(bands))


def stable_key(raw: bytes, person: bytes) -> int:
    """A signed 64-bit key of `raw` in the domain `person` (at most 16 bytes), the same in
    every process and release (never the per-process salted hash()): stored band keys and
    PostgreSQL advisory-lock keys."""
    hasher = _blake2b(person).copy()  # a copy of a keyed state: ~2.5x cheaper than a new one
    hasher.update(raw)
    return int.from_bytes(hasher.digest(), "little", signed=True)


@functools.cache
def _blake2b(person: bytes) -> "hashlib.blake2b":
    return hashlib.blake2b(digest_size=8, person=person)


def fingerprint_key(fingerprint: str) -> int:
    """The advisory-lock key of a fingerprint: writers of identical copies take turns."""
    return stable_key(fingerprint.encode("utf-8"), b"fingerprint")


def story_key(story_id: int) -> int:
    """The advisory-lock key of a story: writers joining or merging it take turns."""
    return stable_key(str(story_id).encode("ascii"), b"story")


def copy_keys(fingerprint: str, sketch: Sketch, rules: StoryRules) -> list[int]:
    """The lock keys covering every way another article could join this one's story, in
    order: its fingerprint and, when it is long enough to be indexed, its band keys."""
    return sorted({fingerprint_key(fingerprint), *(sketch.bands if indexed(sketch, rules) else ())})


def indexed(sketch: Sketch, rules: StoryRules) -> bool:
    """Whether a text joins stories by similarity (its band keys are stored and looked up);
    a shorter one joins only by an identical fingerprint."""
    return sketch.words >= rules.min_words


def _equal_share(a: bytes, b: bytes) -> float:
    va, vb = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    if len(va) != len(vb) or not len(va):
        return 0.0
    return float(np.count_nonzero(va == vb)) / len(va)


def jaccard(a: bytes, b: bytes) -> float:
    """The estimated Jaccard similarity of two texts from their signatures."""
    return _equal_share(a[: 4 * NUM_PERM], b[: 4 * NUM_PERM])


def lead_jaccard(a: bytes, b: bytes) -> float:
    """The estimated Jaccard similarity of two texts' leads."""
    return _equal_share(a[4 * NUM_PERM :], b[4 * NUM_PERM :])


def containment(j: float, size_a: int, size_b: int) -> float:
    """How much of the smaller shingle set lies in the larger, from Jaccard and the sizes:
    |A∩B| = J(|A|+|B|)/(1+J), divided by min(|A|, |B|)."""
    small = min(size_a, size_b)
    if small <= 0:
        return 0.0
    return min(1.0, j * (size_a + size_b) / (1.0 + j) / small)


def score(a: Sketch, signature: bytes, size: int, rules: StoryRules) -> float:
    """How strongly `a` is a copy of the stored (signature, size): 0 when it is not one."""
    return _score(
        a,
        jaccard(a.signature, signature),
        lambda: lead_jaccard(a.signature, signature),
        size,
        rules,
    )


def _score(
    a: Sketch, j: float, lead_of: Callable[[], float], size: int, rules: StoryRules
) -> float:
    if j >= rules.jaccard:
        return j
    if j >= rules.min_jaccard:
        c = containment(j, a.size, size)
        if c >= rules.containment:
            return c
    long_enough = a.words >= LEAD_WORDS and size > LEAD_WORDS - SHINGLE
    if long_enough and (lead := lead_of()) >= rules.lead:
        return lead * rules.lead  # below any whole-text join: those win a tie
    return 0.0


_WIDTH = 4 * (NUM_PERM + LEAD_PERM)  # bytes of a whole signature (text and lead)


def copies_of(
    a: Sketch, candidates: Iterable[tuple[int, bytes, int]], rules: StoryRules
) -> list[int]:
    """Every story `a` is a copy of, among candidates (story id, signature, size), oldest
    first; empty when none (or `a` is too short). More than one: `a` bridges stories that
    were opened apart (say, two trimmed copies stored before their original).

    The candidates' shares of equal minima are counted in one array comparison (up to 200
    candidates an article), then `score`'s rules decide each one."""
    if not indexed(a, rules):
        return []
    rows = list(candidates)
    whole = [row for row in rows if len(row[1]) == _WIDTH] if len(a.signature) == _WIDTH else []
    rest = [row for row in rows if len(row[1]) != _WIDTH] if whole else rows
    found = {story for story, signature, size in rest if score(a, signature, size, rules) > 0}
    if whole:
        mine = np.frombuffer(a.signature, dtype="<u4")
        stored = np.frombuffer(b"".join(row[1] for row in whole), dtype="<u4")
        equal = stored.reshape(len(whole), NUM_PERM + LEAD_PERM) == mine
        texts = (np.count_nonzero(equal[:, :NUM_PERM], axis=1) / NUM_PERM).tolist()
        leads = (np.count_nonzero(equal[:, NUM_PERM:], axis=1) / LEAD_PERM).tolist()
        for (story, _, size), j, lead in zip(whole, texts, leads, strict=True):
            if _score(a, j, functools.partial(float, lead), size, rules) > 0:
                found.add(story)
    return sorted(found)


def choose(
    a: Sketch, candidates: Iterable[tuple[int, bytes, int]], rules: StoryRules
) -> int | None:
    """The story `a` joins among candidates: the oldest it is a copy of; None when none."""
    found = copies_of(a, candidates, rules)
    return found[0] if found else None
