"""Issue 19: every score a candidate or the public reads is written at the one score precision
(two decimals, ``PRECISION["score"]``); thresholds as they were set."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "examserver"
#: The pages candidates and the public read scores on: results, certificates, verification, the
#: public scoreboard (and the committee's schedule, which shares the result's macros).
SCORE_PAGES = ("delivery/templates/delivery/*.html", "selection/templates/selection/announcement.html")


def test_exam_scores_read_with_two_decimals_and_thresholds_as_set(app):
    template = (
        '{% from "delivery/_verdict.html" import number, cut, cut_phrase %}'
        "{{ number(80) }} · {{ number(7.5) }} · {{ cut({'cut': 65}) }} · {{ cut_phrase({'cut': 37.5}) }}"
    )
    with app.test_request_context():
        assert app.jinja_env.from_string(template).render() == "80,00 · 7,50 · 65 · ambang 37,5"


def test_no_candidate_or_public_page_writes_a_score_at_another_precision():
    """The one decimal of exam points ("80,0") and the three of the signed CSV ("135,000") are not
    what a person reads: a template names the score precision instead."""
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for pattern in SCORE_PAGES
        for path in ROOT.glob(pattern)
        for match in re.finditer(r"number\([\"'](?:points|announced)[\"']\)", path.read_text())
    ]
    assert found == []


def test_a_score_column_keeps_the_decimals_that_tell_its_scores_apart():
    """Ranked scores two decimals would merge (76,964 and 76,955 both read 76,96 rounded half to
    even) keep a third; equal scores need none more; the ranking's six decimals are the most."""
    from examserver.numbers import rounded_decimal, telling_decimals

    assert telling_decimals([80.0, 76.96, None, 76.96]) == 2
    assert telling_decimals([76.964, 76.955, 70.0]) == 3
    assert telling_decimals([76.9641, 76.9644]) == 4
    assert telling_decimals([1 / 3, 1 / 3 + 1e-9]) == 2  # equal at the ranking's six decimals: one score
    assert telling_decimals([0.1234561, 0.1234569]) == 6
    assert telling_decimals([]) == 2
    assert str(rounded_decimal(76.965, 2)) == "76.96" and rounded_decimal(None, 2) is None
