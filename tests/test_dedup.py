"""Text identity: the exact fingerprint (stories are tested in test_stories.py)."""

from monitor.stories import fingerprint

STORY = " ".join(
    [
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
    ]
    * 2
)
OTHER = " ".join(
    [
        "Heavy rain flooded low-lying districts of the coastal city overnight, forcing",
        "thousands of residents to leave their homes as rivers burst their banks.",
        "Emergency crews rescued stranded drivers and opened shelters in schools and",
        "community halls, while forecasters warned of more storms later in the week.",
        "Power was cut to several neighbourhoods and train services were suspended.",
    ]
    * 3
)


def test_fingerprint_ignores_case_spacing_and_punctuation() -> None:
    """The exact fingerprint is equal for copies differing only in case and spacing."""
    assert fingerprint(STORY) == fingerprint("  " + STORY.upper().replace(" ", "\n  "))
    assert fingerprint(STORY) != fingerprint(OTHER)
    assert len(fingerprint("")) == 64
