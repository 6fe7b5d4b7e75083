"""Pure helpers of the desk's pages: highlighted text, the trend chart as SVG, URLs."""

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from markupsafe import Markup, escape

# One highlighted stretch of a text: [start, end) and the CSS classes of its <mark>.
Span = tuple[int, int, str]


def highlight(text: str, marks: Iterable[Span], *, sentences: Iterable[Span] = ()) -> Markup:
    """`text` escaped, with each mark wrapped in <mark class=...> and each sentence in
    <span class=...> (both may overlap: the text is cut at every boundary)."""
    marks, sentences = list(marks), list(sentences)
    cuts = {0, len(text)}
    for start, end, _ in (*marks, *sentences):
        if 0 <= start < end <= len(text):
            cuts.update((start, end))
    bounds = sorted(cuts)
    out: list[str] = []
    for lo, hi in itertools.pairwise(bounds):
        piece = str(escape(text[lo:hi]))
        mark = next((c for s, e, c in marks if s <= lo and hi <= e), None)
        sentence = next((c for s, e, c in sentences if s <= lo and hi <= e), None)
        if mark is not None:
            piece = f'<mark class="{escape(mark)}">{piece}</mark>'
        if sentence is not None:
            piece = f'<span class="{escape(sentence)}">{piece}</span>'
        out.append(piece)
    return Markup("".join(out))  # noqa: S704 (every piece of text was escaped above)


def name_spans(text: str, names: Iterable[tuple[str, str]]) -> list[Span]:
    """Where each (name, css class) occurs in `text` on word boundaries, ignoring case: the
    fallback when the matcher does not see a mention in a sentence out of its document."""
    out: list[Span] = []
    for name, css in names:
        if not name.strip():
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        out.extend((m.start(), m.end(), css) for m in pattern.finditer(text))
    return out


def query_url(path: str, params: Mapping[str, str | Sequence[str] | None]) -> str:
    """`path` with the non-empty `params` as its query (lists repeat their key)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None or value == "":
            continue
        if isinstance(value, str):
            pairs.append((key, value))
        else:
            pairs.extend((key, v) for v in value if v)
    return f"{path}?{urlencode(pairs)}" if pairs else path


@dataclass(frozen=True, slots=True)
class Series:
    """One line of the trend chart: a tag, its counts per day and where each day links."""

    id: str
    kind: str
    name: str
    counts: Mapping[date, int]
    link: str  # the matches URL of this tag; a day adds since= and until=


PALETTE = (
    "#1f5fa8",
    "#c2410c",
    "#15803d",
    "#7e22ce",
    "#b91c1c",
    "#0f766e",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#334155",
)


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def trend_svg(
    series: Sequence[Series], days: Sequence[date], *, width: int = 760, height: int = 260
) -> Markup:
    """A line chart of `series` over `days`: one polyline each, and on every day a point
    that links to that tag's matches of that day (keyboard-focusable, with a title)."""
    left, right, top, bottom = 40, 12, 12, 30
    peak = max((n for s in series for n in s.counts.values()), default=0)
    top_value = max(peak, 1)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(n: int) -> float:
        return top + plot_h - plot_h * n / top_value

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title" preserveAspectRatio="xMidYMid meet">',
        '<title id="chart-title">Stories per day of the chosen actors and issues</title>',
    ]
    for tick in sorted({0, top_value // 2, top_value}):
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" '
            f'y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    label_every = max(1, len(days) // 8)
    for i, day in enumerate(days):
        if i % label_every == 0 or i == len(days) - 1:
            anchor = "end" if i == len(days) - 1 and i else "middle"
            parts.append(
                f'<text class="axis" x="{x(i):.1f}" y="{height - 10}" '
                f'text-anchor="{anchor}">{day:%d %b}</text>'
            )
    for index, s in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(s.counts.get(d, 0)):.1f}" for i, d in enumerate(days))
        parts.append(
            f'<polyline class="line" fill="none" stroke="{color}" '
            f'stroke-width="2" points="{points}"/>'
        )
        for i, day in enumerate(days):
            n = s.counts.get(day, 0)
            href = escape(f"{s.link}&since={day.isoformat()}&until={day.isoformat()}")
            label = escape(f"{s.name}: {n} on {day.isoformat()}")
            parts.append(
                f'<a href="{href}" class="point" aria-label="{label}" '
                f'data-day="{day.isoformat()}" data-tag="{escape(s.id)}">'
                f"<title>{label}</title>"
                f'<circle cx="{x(i):.1f}" cy="{y(n):.1f}" r="4" fill="{color}"/></a>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (names and links escaped above)
