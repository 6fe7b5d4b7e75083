"""The desk's pure helpers: highlighting (escaped, overlapping spans), URLs, the SVG chart."""

from datetime import date

from monitor.web.render import Series, days_between, highlight, name_spans, query_url, trend_svg


def test_highlight_escapes_and_marks() -> None:
    """Text is escaped; each mark wraps exactly its characters."""
    out = highlight("<b>Wang Yi</b> & co", [(3, 10, "hit actor")])
    assert str(out) == '&lt;b&gt;<mark class="hit actor">Wang Yi</mark>&lt;/b&gt; &amp; co'


def test_highlight_overlapping_sentence_and_marks() -> None:
    """A sentence that starts inside a mark cuts it in two pieces; nothing is lost."""
    text = "Taiwan. Wang Yi spoke."
    out = str(
        highlight(
            text, [(0, 6, "hit issue"), (8, 15, "hit actor")], sentences=[(3, 22, "evidence")]
        )
    )
    assert out.startswith(
        '<mark class="hit issue">Tai</mark>'
        '<span class="evidence"><mark class="hit issue">wan</mark></span>'
    )
    assert '<span class="evidence"><mark class="hit actor">Wang Yi</mark></span>' in out
    assert out.replace('<mark class="hit issue">', "").count("Tai") == 1


def test_highlight_ignores_spans_outside_the_text() -> None:
    """Offsets from a text that changed since (retag, prune) never break the page."""
    assert str(highlight("abc", [(2, 9, "hit"), (-1, 1, "hit")])) == "abc"


def test_name_spans_on_word_boundaries() -> None:
    """Names are found ignoring case, on word boundaries only."""
    assert name_spans("Trade, trader, TRADE.", [("trade", "x")]) == [(0, 5, "x"), (15, 20, "x")]
    assert name_spans("anything", [(" ", "x")]) == []


def test_query_url_repeats_lists_and_drops_blanks() -> None:
    """Lists repeat their key; None and empty values are left out; values are encoded."""
    assert (
        query_url("/", {"actor": ["a", "b"], "feed": None, "text": "x & y", "watch": ""})
        == "/?actor=a&actor=b&text=x+%26+y"
    )
    assert query_url("/", {}) == "/"


def test_trend_svg_points_link_each_day() -> None:
    """One link per series and day, to that tag's matches of that day; names escaped."""
    days = days_between(date(2026, 11, 1), date(2026, 11, 3))
    svg = str(
        trend_svg([Series("a<b", "actor", "A <B>", {date(2026, 11, 2): 4}, "/?actor=a%3Cb")], days)
    )
    assert svg.count('class="point"') == 3
    assert 'href="/?actor=a%3Cb&amp;since=2026-11-02&amp;until=2026-11-02"' in svg
    assert "A &lt;B&gt;: 4 on 2026-11-02" in svg
    assert "<B>" not in svg
