"""A position's qualification in words ("S-1 Akuntansi, IPK minimal 3,00") read as an education
level (jenjang) and a programme, for the at-risk forecast and its outreach targets."""

from __future__ import annotations

import re

#: Level code by the ways committees write it, the first that matches; codes are the keys of
#: ``LABELS["education_level"]`` in examserver.labels. "Sarjana terapan" (applied bachelor) is D-IV,
#: so it comes before S-1.
_LEVELS = (
    (re.compile(r"\b(S-?3|doktor)\b", re.IGNORECASE), "S3"),
    (re.compile(r"\b(S-?2|magister)\b", re.IGNORECASE), "S2"),
    (re.compile(r"\b(D-?IV|D-?4|sarjana terapan)\b", re.IGNORECASE), "D4"),
    (re.compile(r"\b(S-?1|sarjana)\b", re.IGNORECASE), "S1"),
    (re.compile(r"\b(D-?III|D-?3|diploma)\b", re.IGNORECASE), "D3"),
    (re.compile(r"\b(SMA|SMK|SLTA|MA)\b", re.IGNORECASE), "SMA"),
)


def qualification(education: str | None) -> str:
    """The qualification part of a position's requirement: the text before the first comma."""
    return (education or "").split(",", 1)[0].strip()


def education_level(education: str | None) -> str:
    """The level code of a qualification, "unknown" when it names none."""
    text = qualification(education)
    for pattern, code in _LEVELS:
        if pattern.search(text):
            return code
    return "unknown"
