"""Risk flags: plain, countable reasons to look at a session, each with its threshold.

Flags are computed from a session's events and from forensic statistics; the thresholds are
configurable per exam. A flag carries a code and the numbers behind it, so the web layer can say
"left the exam window 7 times, 4 min 12 s in all" in the candidate's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class FlagRules:
    """Thresholds (defaults suit a 100-minute test) and the weight of each flag in the risk score."""

    focus_loss_count: int = 3
    focus_loss_seconds: float = 60.0
    clipboard_count: int = 1
    shortcut_count: int = 3
    fullscreen_exit_count: int = 3
    fast_answer_count: int = 10
    #: On the Bonferroni-adjusted p over a candidate's possible sources: 0.01 keeps the false-positive
    #: rate near 1% per candidate (see benchmarks/README.md, forensics).
    copying_p_value: float = 0.01
    person_fit_z: float = -2.33
    weights: dict[str, float] = field(default_factory=lambda: {
        "focus_loss": 1.0, "clipboard": 2.0, "shortcut": 1.0, "fullscreen": 0.5, "fast_answers": 1.0,
        "copying": 5.0, "person_fit": 2.0, "second_session": 3.0, "other_device": 1.0,
    })  # fmt: skip


@dataclass(frozen=True)
class Flag:
    """One reason to review, with the facts and the threshold crossed."""

    code: str
    weight: float
    facts: dict[str, Any]


@dataclass(frozen=True)
class EventFacts:
    """What the event log says about one session (the input flags need)."""

    focus_losses: int = 0
    seconds_away: float = 0.0
    clipboard: int = 0
    shortcuts: int = 0
    fullscreen_exits: int = 0
    fast_answers: int = 0
    second_sessions: int = 0
    other_device_attempts: int = 0


class EventRecord(Protocol):
    """What ``facts_from_events`` reads of an event (an ``IntegrityEvent`` row has it)."""

    @property
    def kind(self) -> str: ...

    @property
    def duration_ms(self) -> int | None: ...

    @property
    def details(self) -> Mapping[str, Any] | None: ...


def facts_from_events(events: Iterable[EventRecord]) -> EventFacts:
    """Count the events that flags look at (objects with ``kind``, ``duration_ms``, ``details``)."""
    counts = {"focus": 0, "clip": 0, "short": 0, "full": 0, "fast": 0, "second": 0, "device": 0}
    seconds_away = 0.0
    for event in events:
        kind = event.kind
        if kind == "focus_lost":
            counts["focus"] += 1
            seconds_away += (event.duration_ms or 0) / 1000
        elif kind in ("copy", "cut", "paste"):
            counts["clip"] += 1
        elif kind in ("shortcut", "context_menu"):
            counts["short"] += 1
        elif kind == "fullscreen_exit":
            counts["full"] += 1
        elif kind == "fast_answers":
            counts["fast"] += int((event.details or {}).get("count", 1))
        elif kind in ("second_session", "site_duplicate"):  # another sitting of the same exam
            counts["second"] += 1
        elif kind in ("other_device_refused", "items_other_device"):
            counts["device"] += 1
    return EventFacts(
        counts["focus"],
        seconds_away,
        counts["clip"],
        counts["short"],
        counts["full"],
        counts["fast"],
        counts["second"],
        counts["device"],
    )


def flags_for(
    facts: EventFacts,
    rules: FlagRules,
    *,
    copying: tuple[float, int, str] | tuple[float, int] | None = None,
    person_fit: float | None = None,
    copying_details: Mapping[str, Any] | None = None,
) -> list[Flag]:
    """The flags a session raises, heaviest first.

    ``copying`` is (adjusted answer-copying p-value, id of the matching session[, its label]),
    e.g. from Wollack's omega (1997); ``copying_details`` adds facts to that flag (who answered
    first, which one the evidence names the copier: :mod:`proctoring.copying_direction`);
    ``person_fit`` is the lz* statistic (Snijders 2001).
    """
    flags = []
    if facts.focus_losses >= rules.focus_loss_count or (
        facts.focus_losses and facts.seconds_away >= rules.focus_loss_seconds
    ):
        flags.append(
            Flag(
                "focus_loss",
                rules.weights["focus_loss"] * (1 + facts.seconds_away / 300),
                {"count": facts.focus_losses, "seconds": round(facts.seconds_away)},
            )
        )
    if facts.clipboard >= rules.clipboard_count:
        flags.append(Flag("clipboard", rules.weights["clipboard"] * facts.clipboard, {"count": facts.clipboard}))
    if facts.shortcuts >= rules.shortcut_count:
        flags.append(Flag("shortcut", rules.weights["shortcut"], {"count": facts.shortcuts}))
    if facts.fullscreen_exits >= rules.fullscreen_exit_count:
        flags.append(Flag("fullscreen", rules.weights["fullscreen"], {"count": facts.fullscreen_exits}))
    if facts.fast_answers >= rules.fast_answer_count:
        flags.append(Flag("fast_answers", rules.weights["fast_answers"], {"count": facts.fast_answers}))
    if facts.second_sessions:
        flags.append(Flag("second_session", rules.weights["second_session"], {"count": facts.second_sessions}))
    if facts.other_device_attempts:
        flags.append(Flag("other_device", rules.weights["other_device"], {"count": facts.other_device_attempts}))
    if copying is not None and copying[0] < rules.copying_p_value:
        p_value, partner, *label = copying
        copying_facts: dict[str, Any] = {
            "p_value": p_value,
            "partner": partner,
            "partner_label": label[0] if label else partner,
        }
        copying_facts.update(copying_details or {})
        weight = rules.weights["copying"] * (1 + min(-_log10(p_value), 30) / 6)
        flags.append(Flag("copying", weight, copying_facts))
    if person_fit is not None and person_fit < rules.person_fit_z:
        flags.append(Flag("person_fit", rules.weights["person_fit"], {"lz_star": round(person_fit, 2)}))
    return sorted(flags, key=lambda f: -f.weight)


def risk_score(flags: Iterable[Flag]) -> float:
    """The sum of flag weights: the order of the review queue."""
    return round(sum(flag.weight for flag in flags), 3)


def _log10(value: float) -> float:
    import math

    return math.log10(max(value, 1e-300))
