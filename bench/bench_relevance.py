"""Score the tagger's tags and levels against our labelled gold on real text.

    python bench/bench_relevance.py [--part tuning|held-out|fresh|both] [--errors] [--no-write]

The gold (tests/gold/*.jsonl, labelled by reading each document without running the tagger;
see tests/gold/GUIDELINE.md) names, per document, the issues it refers to in their sense with
a level (about / mention) and the people it refers to. Each document is read from
../shared/corpus, split into headline and text, and tagged with `Matcher.tag_document` (the
function the daemon, `monitor tag` and `monitor retag` call), with `official` set to the
United States for White House files. A document is held out when the first hex digit of the
sha1 of its file name is 0-4 (the last digit for the `news` set, whose selection took the first
articles in sha1 order); rules were tuned on the rest. The documents of a gold file whose
name contains "-fresh" form a third part, `fresh`, labelled after the rules were set and never
used for tuning (see the guideline). A gold file whose name contains "-seen" was a fresh part
whose figures have been read and whose errors were then tuned on: all of it is tuning. The
`aeb` set is the Article Extraction Benchmark's pages: text from its ground truth, headline from
the page. Results go into the relevance section of BENCHMARKS.md.
"""

import argparse
import gzip
import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lxml.html
import wheeltext

from monitor.match import Matcher, compile_matcher  # after the path tweak above
from monitor.types import Tag
from monitor.vocab import load_vocabulary

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold"
CORPUS = ROOT.parent / "shared" / "corpus"
SETS = {
    "cnn-2024": CORPUS / "cnn-2024" / "docs",
    "china-news": CORPUS / "china-news" / "docs",
    "aeb": CORPUS / "aeb",
}
# selected in sha1 order: split on the digest's last digit
LAST_DIGIT_SETS = frozenset({"news", "commons", "sotu"})


@dataclass(frozen=True)
class GoldDoc:
    """One labelled document."""

    set: str
    file: str
    day: date
    issues: dict[str, str]
    people: frozenset[str]
    official: str | None  # the country of an official source's government, else None
    fresh: bool = False  # from a "-fresh" gold file
    seen: bool = False  # from a "-seen" gold file: a former fresh part, now tuned on

    @property
    def held_out(self) -> bool:
        """In the part kept aside until the end (a third, by the file name's hash; the last
        hex digit for sets whose selection walked the sha1 order, whose first digits are few)."""
        digest = hashlib.sha1(self.file.encode()).hexdigest()  # noqa: S324
        return digest[-1 if self.set in LAST_DIGIT_SETS else 0] in "01234"

    @property
    def part(self) -> str:
        """tuning, held-out or fresh."""
        if self.fresh:
            return "fresh"
        if self.seen:
            return "tuning"
        return "held-out" if self.held_out else "tuning"


def official_country(row: dict[str, object]) -> str | None:
    """The country whose government an official source speaks for (default the United States,
    the White House files), or None for news."""
    if row.get("source") != "official":
        return None
    return str(row.get("country", "united-states"))


def load_gold(directory: Path = GOLD) -> list[GoldDoc]:
    """Every labelled document of the gold files."""
    docs = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            docs.append(
                GoldDoc(
                    row["set"],
                    row["file"],
                    date.fromisoformat(row["date"]),
                    dict(row["issues"]),
                    frozenset(row["people"]),
                    official_country(row),
                    "-fresh" in path.name,
                    "-seen" in path.name,
                )
            )
    return docs


def read_document(doc: GoldDoc) -> tuple[str, str]:
    """(headline, text) of a gold document: the first line is its title ("# " dropped); CNN's
    "Published" line and rule are page furniture, not text. An AEB page's text is the
    benchmark's article body and its headline the page's og:title (else its <title>)."""
    if doc.set == "aeb":
        return aeb_document(doc.file)
    if doc.set in wheeltext.SOURCES:
        return wheeltext.document(doc.set, doc.file)
    raw = (SETS[doc.set] / doc.file).read_text(encoding="utf-8")
    title, _, rest = raw.lstrip().partition("\n")
    title = title.removeprefix("# ").strip()
    if doc.set == "cnn-2024":
        rest = re.sub(r"\A\s*Published :`[^`]*`\s*---\s*", "", rest)
    return title, rest.strip()


_AEB_TRUTH: dict[str, dict[str, str]] = {}


def aeb_document(page_id: str) -> tuple[str, str]:
    """(headline, article body) of one AEB page, by its id."""
    if not _AEB_TRUTH:
        truth = json.loads((SETS["aeb"] / "ground-truth.json").read_text(encoding="utf-8"))
        _AEB_TRUTH.update(truth)
    page = gzip.decompress((SETS["aeb"] / f"{page_id}.html.gz").read_bytes())
    tree = lxml.html.fromstring(page.decode("utf-8"))
    titles = tree.xpath("//meta[@property='og:title']/@content") or tree.xpath("//title/text()")
    title = str(titles[0]) if titles else ""
    return " ".join(title.split()), _AEB_TRUTH[page_id]["articleBody"].strip()


def tag_gold(matcher: Matcher, doc: GoldDoc) -> tuple[Tag, ...]:
    """The tags the daemon would store for this document."""
    title, text = read_document(doc)
    return matcher.tag_document(title, text, published=doc.day, official=doc.official)


@dataclass
class Score:
    """Counts behind the figures."""

    fired: Counter[str] = field(default_factory=Counter)  # issue tags fired, per issue
    right: Counter[str] = field(default_factory=Counter)  # fired and in gold (sense right)
    about_fired: Counter[str] = field(default_factory=Counter)
    about_right: Counter[str] = field(default_factory=Counter)  # about, gold about
    gold_any: Counter[str] = field(default_factory=Counter)
    gold_found: Counter[str] = field(default_factory=Counter)  # gold, fired at any level
    gold_about: Counter[str] = field(default_factory=Counter)
    about_found: Counter[str] = field(default_factory=Counter)  # gold about, fired about
    about_any: Counter[str] = field(default_factory=Counter)  # gold about, fired at any level
    people_fired: int = 0
    people_right: int = 0
    people_gold: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, doc: GoldDoc, tags: tuple[Tag, ...]) -> None:
        issues = {t.id: t for t in tags if t.kind == "issue"}
        for tag_id, tag in issues.items():
            self.fired[tag_id] += 1
            gold = doc.issues.get(tag_id)
            if gold is not None:
                self.right[tag_id] += 1
            else:
                self.errors.append(
                    f"FP  {doc.file[:60]} {tag_id} {tag.level} "
                    f"{tag.score:.2f} | {tag.evidence.text[:100]!r}"
                )
            if tag.level == "about":
                self.about_fired[tag_id] += 1
                if gold == "about":
                    self.about_right[tag_id] += 1
                elif gold == "mention":
                    self.errors.append(f"UP  {doc.file[:60]} {tag_id} {tag.score:.2f}")
        for tag_id, level in doc.issues.items():
            self.gold_any[tag_id] += 1
            tag = issues.get(tag_id)
            if tag is not None:
                self.gold_found[tag_id] += 1
            else:
                self.errors.append(f"FN  {doc.file[:60]} {tag_id} ({level})")
            if level == "about":
                self.gold_about[tag_id] += 1
                if tag is not None:
                    self.about_any[tag_id] += 1
                    if tag.level == "about":
                        self.about_found[tag_id] += 1
                    else:
                        self.errors.append(f"DOWN {doc.file[:60]} {tag_id} {tag.score:.2f}")
        people = {t.id for t in tags if t.kind == "actor"} & _PEOPLE
        self.people_fired += len(people)
        self.people_right += len(people & doc.people)
        self.people_gold += len(doc.people)
        for person in sorted(people - doc.people):
            self.errors.append(f"PFP {doc.file[:60]} {person}")
        for person in sorted(doc.people - people):
            self.errors.append(f"PFN {doc.file[:60]} {person}")


_PEOPLE: frozenset[str] = frozenset()


def ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a"


def summary(score: Score) -> dict[str, str]:
    """The headline figures of one part."""
    total = sum
    return {
        "about precision": ratio(
            total(score.about_right.values()), total(score.about_fired.values())
        ),
        "issue precision (sense right)": ratio(
            total(score.right.values()), total(score.fired.values())
        ),
        "wrong-sense share": ratio(
            total(score.fired.values()) - total(score.right.values()), total(score.fired.values())
        ),
        "about recall (tagged about)": ratio(
            total(score.about_found.values()), total(score.gold_about.values())
        ),
        "about recall (tagged at all)": ratio(
            total(score.about_any.values()), total(score.gold_about.values())
        ),
        "mention recall (all gold)": ratio(
            total(score.gold_found.values()), total(score.gold_any.values())
        ),
        "person precision": ratio(score.people_right, score.people_fired),
        "person recall": ratio(score.people_right, score.people_gold),
    }


def per_issue(score: Score) -> list[tuple[str, ...]]:
    ids = sorted(set(score.fired) | set(score.gold_any))
    return [
        (
            i,
            ratio(score.about_right[i], score.about_fired[i]),
            ratio(score.right[i], score.fired[i]),
            ratio(score.about_found[i], score.gold_about[i]),
            ratio(score.gold_found[i], score.gold_any[i]),
        )
        for i in ids
    ]


def run(part: str, matcher: Matcher, docs: list[GoldDoc]) -> dict[str, Score]:
    """Scores per set (and "all") for the documents of one part."""
    scores: dict[str, Score] = {"all": Score()}
    for doc in docs:
        if doc.part != part:
            continue
        tags = tag_gold(matcher, doc)
        scores.setdefault(doc.set, Score()).add(doc, tags)
        scores["all"].add(doc, tags)
    return scores


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    global _PEOPLE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["tuning", "held-out", "fresh", "both"], default="tuning")
    parser.add_argument("--errors", action="store_true", help="list each error (tuning only)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    vocab = load_vocabulary()
    # the people the gold was labelled for (people added to the vocabulary later are not)
    labelled = set((GOLD / "people.txt").read_text(encoding="utf-8").split())
    _PEOPLE = frozenset(e.id for e in vocab if e.type == "person" and e.id in labelled)
    matcher = compile_matcher(vocab)
    docs = load_gold()
    for name in sorted({d.set for d in docs} & wheeltext.SOURCES.keys()):
        try:
            wheeltext.fetch(name)
        except wheeltext.Unavailable as exc:  # the part is scored without them, and says so
            print(f"skipping the {name} documents: {exc}", file=sys.stderr)
            docs = [d for d in docs if d.set != name]
    parts = ["tuning", "held-out", "fresh"] if args.part == "both" else [args.part]
    out = []
    for part in parts:
        n = sum(1 for d in docs if d.part == part)
        if n == 0:  # between a fresh set's reading and the next one's labelling
            out.append(f"### {part} part\n\nNo gold file holds a document of this part now.\n")
            continue
        scores = run(part, matcher, docs)
        out.append(f"### {part} part ({n} documents)\n")
        names = ["all", *sorted(s for s in scores if s != "all")]
        rows = [(key, *(summary(scores[s])[key] for s in names)) for key in summary(scores["all"])]
        out.append(table(rows, ("figure", *names)) + "\n")
        out.append(
            table(
                per_issue(scores["all"]),
                ("issue", "about precision", "precision", "about recall", "mention recall"),
            )
            + "\n"
        )
        if args.errors and part == "tuning":
            print("\n".join(sorted(scores["all"].errors)))
    text = "\n".join(out)
    print(text)
    if not args.no_write and args.part == "both":
        write(text)


def write(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    body = path.read_text(encoding="utf-8")
    head = "## Relevance (`bench/bench_relevance.py`)"
    results = f"<!-- results -->\n{text}\n<!-- /results -->\n"
    if head in body:  # the prose before and after the results stays as written
        start = body.index(head)
        end = body.find("\n## ", start + len(head))
        old = body[start:] if end < 0 else body[start : end + 1]
        intro, _, rest = old.partition("<!-- results -->")
        notes = rest.split("<!-- /results -->\n", 1)[1] if "<!-- /results -->" in rest else ""
        body = body.replace(old, intro + results + notes)
    else:
        body = body.rstrip("\n") + f"\n\n{head}\n\n{results}"
    path.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    main()
