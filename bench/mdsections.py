"""Where a bench script writes its results: one section of BENCHMARKS.md, replaced in place.

Two kinds of section: one that runs from its `## ` heading to the next `## ` heading (a
`### Notes` block written by hand after the table is kept), and one between two HTML comment
marks (whatever is between them is the script's). A section not there yet is appended.
"""

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def print_rows(rows: list[tuple[str, str]]) -> None:
    """A bench's (measure, value) rows as aligned text on stdout."""
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def rows_table(rows: list[tuple[str, str]]) -> str:
    """The same rows as a two-column Markdown table."""
    return "| measure | value |\n| --- | --- |\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"


def replace_section(body: str, heading: str, path: Path = BENCHMARKS) -> None:
    """Put `body` (which starts with `heading`) in place of the section under `heading`,
    keeping the section's hand-written `### Notes` block."""
    text = _read(path)
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        end = text.find("\n## ", start + len(heading))
        old = text[start : end if end >= 0 else len(text)]
        marker = old.find("### Notes")
        notes = "\n" + old[marker:].rstrip("\n") + "\n" if marker >= 0 else ""
        text = text[:start] + body + notes + (text[end:] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


def replace_marked(markdown: str, marks: tuple[str, str], path: Path = BENCHMARKS) -> None:
    """Put `markdown` between the two marks (appended with them when they are absent)."""
    text = _read(path)
    section = f"{marks[0]}\n{markdown}\n{marks[1]}"
    if marks[0] in text and marks[1] in text:
        head, rest = text.split(marks[0], 1)
        text = head + section + rest.split(marks[1], 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
