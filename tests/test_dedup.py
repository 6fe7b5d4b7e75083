"""Story identity: fingerprints, SimHash distance for syndicated copies, and band lookup."""

import itertools
import json
import random

import pytest
from conftest import CORPUS, need_shared

from monitor.dedup import SAME_STORY_DISTANCE, bands, fingerprint, hamming, same_story, simhash

STORY = " ".join([
    "The commerce department announced new export controls on advanced semiconductors on",
    "Tuesday, widening restrictions on chipmaking equipment sold to Chinese manufacturers.",
    "Officials said the rules target tools used to build processors for artificial",
    "intelligence and supercomputers, and would take effect within thirty days.",
    "Industry groups warned that the measures could cost American suppliers billions in",
    "lost sales, while lawmakers from both parties urged the administration to go further.",
    "Beijing's foreign ministry called the controls an abuse of state power and promised",
    "firm countermeasures to protect the legitimate rights of Chinese companies.",
    "Analysts expect allied governments in the Netherlands and Japan to face renewed pressure",
    "to align their own licensing regimes with Washington over the coming months.",
    "Shares of equipment makers fell in after-hours trading following the announcement,",
    "and several executives said they were still studying the technical thresholds.",
] * 2)
OTHER = " ".join([
    "Heavy rain flooded low-lying districts of the coastal city overnight, forcing",
    "thousands of residents to leave their homes as rivers burst their banks.",
    "Emergency crews rescued stranded drivers and opened shelters in schools and",
    "community halls, while forecasters warned of more storms later in the week.",
    "Power was cut to several neighbourhoods and train services were suspended.",
] * 3)


def test_fingerprint_ignores_case_spacing_and_punctuation() -> None:
    """The exact fingerprint is equal for copies differing only in case and spacing."""
    assert fingerprint(STORY) == fingerprint("  " + STORY.upper().replace(" ", "\n  "))
    assert fingerprint(STORY) != fingerprint(OTHER)
    assert len(fingerprint("")) == 64


def test_simhash_fits_a_signed_bigint() -> None:
    """Hashes lie in the signed 64-bit range, both signs occur, and hamming treats them alike."""
    values = [simhash(f"{STORY} {i}") for i in range(40)] + [simhash(OTHER), simhash("")]
    assert all(-(2**63) <= v < 2**63 for v in values)
    rng = random.Random(3)
    signs = {simhash(" ".join(rng.choice(STORY.split()) for _ in range(30))) < 0
             for _ in range(40)}
    assert signs == {True, False}
    assert hamming(-1, 2**64 - 1) == 0


def test_syndicated_copy_is_the_same_story() -> None:
    """Same body with a wire credit line: within SAME_STORY_DISTANCE."""
    copy = STORY + " Reporting by the Wire Service."
    assert hamming(simhash(STORY), simhash(copy)) <= SAME_STORY_DISTANCE
    assert same_story(simhash(STORY), simhash(STORY.replace(" ", "  ")))


def test_different_story_is_not() -> None:
    """An unrelated story is far beyond the threshold."""
    assert hamming(simhash(STORY), simhash(OTHER)) > 3 * SAME_STORY_DISTANCE


def test_close_hashes_share_a_band() -> None:
    """Any two hashes within Hamming 3 share at least one of the four 16-bit bands."""
    rng = random.Random(11)
    for _ in range(2000):
        h = rng.getrandbits(64) - 2**63
        flips = rng.sample(range(64), rng.randint(0, 3))
        g = h ^ sum(1 << b for b in flips)
        assert hamming(h, g) == len(flips)
        assert set(enumerate(bands(h))) & set(enumerate(bands(g)))
        assert all(0 <= b < 2**16 for b in bands(h))


def test_benchmark_articles_are_pairwise_distinct() -> None:
    """Over the AEB article bodies, no two different stories fall within the threshold."""
    truth = json.loads((need_shared(CORPUS / "aeb") / "ground-truth.json").read_text())
    bodies = [r["articleBody"] for r in truth.values() if len(r["articleBody"].split()) > 80]
    hashes = [simhash(b) for b in bodies]
    closest = min(hamming(a, b) for a, b in itertools.combinations(hashes, 2))
    assert closest > SAME_STORY_DISTANCE


@pytest.mark.parametrize("extra", ["Read more: related coverage.", "Copyright 2026 Wire."])
def test_benchmark_articles_survive_a_credit_line(extra: str) -> None:
    """Most AEB bodies with one added credit line stay within the threshold (measured ~90%)."""
    truth = json.loads((need_shared(CORPUS / "aeb") / "ground-truth.json").read_text())
    bodies = [r["articleBody"] for r in truth.values() if len(r["articleBody"].split()) > 150]
    close = sum(same_story(simhash(b), simhash(b + "\n" + extra)) for b in bodies)
    assert close >= 0.85 * len(bodies)
