"""URL normalisation: one canonical spelling per page; only http(s) is fetchable."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.urls import is_fetchable, normalise_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "HTTP://Example.COM:80/a/b?utm_source=x&b=2&a=1&fbclid=z#frag",
            "http://example.com/a/b?a=1&b=2",
        ),
        ("https://ex.com:443", "https://ex.com/"),
        ("https://ex.com:8443/x", "https://ex.com:8443/x"),
        (
            "https://ex.com/x?gclid=1&mc_cid=2&mc_eid=3&ref=rss&cmpid=4&utm_medium=feed",
            "https://ex.com/x",
        ),
        ("https://ex.com/a b/%7e", "https://ex.com/a%20b/%7E"),
        ("https://ex.com/x?q=&id=5", "https://ex.com/x?id=5&q="),
        ("https://ex.com./x", "https://ex.com/x"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    """Scheme/host lower-cased, default port, fragment and tracking parameters dropped."""
    assert normalise_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/news/1?utm_campaign=a", "https://site.org/news/1"),
        ("2", "https://site.org/dir/2"),
        ("//cdn.site.org/x", "https://cdn.site.org/x"),
        ("?page=2", "https://site.org/dir/page?page=2"),
    ],
)
def test_relative_links_resolve_against_base(raw: str, expected: str) -> None:
    """Relative links resolve against the base URL."""
    assert normalise_url(raw, "https://site.org/dir/page") == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "java\nscript:alert(1)",
        " \x01javascript:x",
        "data:text/html,hi",
        "mailto:a@b.org",
        "file:///etc/passwd",
        "ftp://ex.com/",
        "",
        "http://",
        "http://[zz/",
        "http://exa mple.com/",
    ],
)
def test_non_http_links_are_dropped(raw: str) -> None:
    """Anything that is not an http(s) URL with a host normalises to None."""
    assert normalise_url(raw, "https://site.org/") is None


def test_is_fetchable() -> None:
    """Only absolute http(s) URLs with a host are fetchable."""
    assert is_fetchable("https://ex.com/x")
    assert not is_fetchable("javascript:alert(1)")
    assert not is_fetchable("/relative")
    assert not is_fetchable(None)


@given(st.text(max_size=60))
def test_normalisation_is_idempotent(path: str) -> None:
    """Normalising a normalised URL changes nothing, whatever the input."""
    first = normalise_url("https://Ex.com/" + path)
    if first is not None:
        assert normalise_url(first) == first
