"""Text identity: the exact content fingerprint and the words two copies of a text share
(which copies make one story is monitor.stories' decision)."""

import hashlib
import re
import unicodedata

# English function words: frequent in every text, so they pull unrelated stories together.
STOPWORDS = frozenset({
    "a", "about", "after", "against", "all", "also", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "between", "both", "but", "by", "can", "could",
    "did", "do", "does", "down", "during", "each", "even", "for", "from", "had", "has", "have",
    "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "just", "like", "may", "me", "more", "most", "mr", "mrs", "ms", "much", "must", "my",
    "new", "no", "not", "now", "of", "off", "on", "one", "only", "or", "other", "our", "out",
    "over", "said", "says", "she", "should", "since", "so", "some", "such", "than", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to",
    "too", "two", "under", "up", "us", "very", "was", "we", "were", "what", "when", "where",
    "which", "while", "who", "will", "with", "would", "year", "years", "you", "your",
})
_WORD = re.compile(r"\w+")


def normalise_text(text: str) -> str:
    """NFKC, case-folded, words only, single spaces: what two copies of a story share."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def fingerprint(text: str) -> str:
    """sha256 (hex) of the normalised text: equal for copies that differ only in spacing/case."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
