"""Readable alerts: evidence once per sentence with its tags, subjects folded by RFC 5322,
plain-text and HTML parts, Markdown for chat; parsed back with the stdlib email package."""

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from alerts_support import T0

from monitor.alerts.email import digest_message, immediate_message
from monitor.alerts.render import chat_body, evidence_of, text_entry
from monitor.types import Alert

SHARED = "Wang Yi and Antony Blinken discussed Taiwan and trade for two hours."


def alert(
    *,
    title: str = "Blinken meets Wang Yi",
    copies: list[Any] | None = None,
    watch: str = "taiwan-desk",
) -> Alert:
    """An alert whose first sentence is the evidence of three tags and the second of one."""
    tag = {"count": 1, "level": "about", "score": 0.8}
    return Alert(
        id=7,
        channel="mail",
        watch=watch,
        article_id=1,
        payload={
            "type": "match.created",
            "timestamp": "2026-11-23T10:00:00Z",
            "data": {
                "watch": watch,
                "article": {
                    "url": "https://example.org/a",
                    "title": title,
                    "published": "2026-11-23T09:00:00Z",
                    "feed": "world",
                },
                "actors": [
                    {"id": "wang-yi", "name": "Wang Yi", **tag},
                    {"id": "antony-blinken", "name": "Antony Blinken", **tag, "level": "mention"},
                ],
                "issues": [
                    {"id": "taiwan", "name": "Taiwan", **tag},
                    {"id": "trade", "name": "Trade", **tag},
                ],
                "evidence": [
                    {"id": "wang-yi", "text": SHARED},
                    {"id": "antony-blinken", "text": SHARED},
                    {"id": "taiwan", "text": SHARED},
                    {"id": "trade", "text": "Tariffs were also raised."},
                ],
                "story": 3,
                "copies": copies or [],
            },
        },
        state="pending",
        attempts=0,
        next_attempt=T0,
        last_error=None,
        created_at=T0,
    )


def parsed(msg: EmailMessage) -> EmailMessage:
    """The message as a receiver parses its bytes."""
    back = message_from_bytes(msg.as_bytes(), policy=default)
    assert isinstance(back, EmailMessage)
    return back


def test_evidence_is_given_once_per_sentence_with_the_tags_it_supports() -> None:
    """A sentence supporting three tags appears once, labelled with the three names."""
    got = evidence_of(alert())
    assert [(e.text, e.tags) for e in got] == [
        (SHARED, ("Wang Yi", "Antony Blinken", "Taiwan")),
        ("Tariffs were also raised.", ("Trade",)),
    ]
    text = text_entry(alert())
    assert text.count(SHARED) == 1
    assert f"  - [Wang Yi, Antony Blinken, Taiwan] {SHARED}" in text
    assert "  - [Trade] Tariffs were also raised." in text


def test_mail_has_plain_and_html_parts_with_labelled_evidence_and_copies() -> None:
    """multipart/alternative: text/plain and text/html, each sentence once and labelled;
    the story's copies under "Also published as"."""
    copies = [{"feed": "wire", "url": "https://wire.example/b", "title": "Wang, Blinken meet"}]
    msg = parsed(
        immediate_message(
            alert(copies=copies), sender="m@example.org", to=["d@example.org"], now=T0
        )
    )
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, page):
        assert body.count(SHARED) == 1
        assert "Also published as" in body
        assert "Wang, Blinken meet" in body
    assert "<b>Wang Yi, Antony Blinken, Taiwan</b>: " + SHARED in page
    assert "Taiwan (about)" in text
    assert "Antony Blinken (mention)" in text


@pytest.mark.parametrize(
    "title",
    [
        "Blinken and Wang Yi discuss Taiwan Strait tensions in a long meeting at the Diaoyutai "
        "state guesthouse as both sides look for a way to keep military communication open",
        "習近平と拜登が台湾海峡をめぐり会談、緊張緩和に向けた長い協議の末に合意した内容について詳しく",
        "“Blinken” and “Wang Yi” discuss Taiwan Strait tensions — a long meeting at Diaoyutai",
    ],
)
def test_long_subjects_fold_between_words_and_parse_back_whole(title: str) -> None:
    """Every header line is at most 78 characters, the first Subject line carries text
    (never a bare "Subject:"), and a parser gets the whole subject back."""
    for msg in (
        immediate_message(alert(title=title), sender="m@example.org", to=["d@example.org"], now=T0),
        immediate_message(
            alert(title=title, watch="a-very-long-watch-name-for-the-china-us-technology-desk"),
            sender="m@example.org",
            to=["d@example.org"],
            now=T0,
        ),
    ):
        head = msg.as_bytes().split(b"\r\n\r\n")[0].decode("ascii")
        lines = head.split("\r\n")
        assert max(len(ln) for ln in lines) <= 78
        subject_line = next(ln for ln in lines if ln.startswith("Subject:"))
        assert subject_line.strip() != "Subject:"
        assert len(subject_line) > len("Subject: [monitor]")
        assert parsed(msg)["Subject"] == str(msg["Subject"])
        assert title[:40] in parsed(msg)["Subject"]


def test_chat_markdown_links_the_title_and_labels_evidence() -> None:
    """Markdown for chat: the watch in bold, the title linked, each sentence once."""
    body = chat_body(alert(), "markdown")
    assert body.startswith("**taiwan-desk**: [Blinken meets Wang Yi](<https://example.org/a>)")
    assert body.count("Wang Yi and Antony Blinken discussed Taiwan and trade") == 1
    assert "- *Wang Yi, Antony Blinken, Taiwan*: " in body
    assert "Tags: Wang Yi \\(about\\), Taiwan \\(about\\), Trade \\(about\\)" in body


def test_digest_mail_also_folds_and_counts() -> None:
    """A digest message parses back with its entries, each sentence once per entry."""
    msg = parsed(
        digest_message("desk-mail", [alert()], sender="m@example.org", to=["d@example.org"], now=T0)
    )
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.count(SHARED) == 1
