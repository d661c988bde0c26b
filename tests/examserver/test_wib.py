"""Every time a person reads is in WIB with the zone named, through the one helper (examserver/wib.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

from examserver.wib import format_day, format_moment

ROOT = Path(__file__).resolve().parents[2]
#: 15:59 UTC on 3 December 2026 is 22:59 WIB.
MOMENT = datetime(2026, 12, 3, 15, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "format", "expected"),
    [
        ("id", "short", "3 Des 2026 22.59 WIB"),
        ("id", "medium", "3 Des 2026 22.59.00 WIB"),
        ("id", "long", "3 Desember 2026 22.59.00 WIB"),
        ("id", "full", "Kamis, 03 Desember 2026 22.59.00 WIB"),
        ("en", "short", "Dec 3, 2026, 10:59\u202fPM WIB"),
        ("en", "long", "December 3, 2026, 10:59:00\u202fPM WIB"),
        ("id", "d MMM y HH.mm", "3 Des 2026 22.59 WIB"),
    ],
)
def test_a_moment_is_written_in_wib_with_the_zone_named_once(app, locale, format, expected):
    with app.test_request_context(), force_locale(locale):
        assert format_moment(MOMENT, format) == expected


def test_a_day_is_written_in_the_readers_format_and_a_moment_counts_by_its_wib_date(app):
    with app.test_request_context():
        assert format_day(date(2026, 12, 3)) == "3 Desember 2026"
        assert format_day(datetime(2026, 12, 3, 18, 0, tzinfo=UTC), "short") == "4 Des 2026"  # 01:00 WIB next day
        assert format_moment(None) == format_day(None) == ""


def test_the_template_filters_are_the_helper(app):
    with app.test_request_context():
        rendered = app.jinja_env.from_string('{{ t|datetimeformat("short") }} · {{ t|dateformat }}').render(t=MOMENT)
    assert rendered == "3 Des 2026 22.59 WIB · 3 Desember 2026"


# A time formatted for a person anywhere but the helper: strftime, astimezone or isoformat in a template
# (isoformat only in a machine-read attribute or feed), a literal "UTC" shown, or Babel's date
# formatting imported in Python outside examserver/wib.py.
TEMPLATE_LEAKS = re.compile(r"\.strftime\(|\.astimezone\(|\.isoformat\(\)|\bUTC\b")
#: A ``<time datetime="...">`` attribute: read by machines, ISO 8601 by HTML's rules.
MACHINE_ATTRIBUTE = re.compile(r'datetime="\{\{[^}]*\}\}"')
PYTHON_LEAKS = re.compile(r"from flask_babel import [^\n]*\bformat_(?:datetime|date|time)\b|\.strftime\(\"%[dHY]")
#: Machine-read documents whose times are ISO 8601 by their format's rules.
MACHINE_TEMPLATES = {"_atom.html", "feed_all.atom.html"}


def time_leaks(files: dict[str, str]) -> list[str]:
    """``path: line`` of every place in ``files`` (path -> text) that formats a time for a person
    without the helper."""
    found = []
    for path, text in files.items():
        name = Path(path).name
        if name in MACHINE_TEMPLATES or path.endswith("examserver/wib.py"):
            continue
        pattern = TEMPLATE_LEAKS if path.endswith(".html") else PYTHON_LEAKS
        found += [
            f"{path}: {line.strip()}" for line in text.splitlines() if pattern.search(MACHINE_ATTRIBUTE.sub("", line))
        ]
    return found


def sources() -> dict[str, str]:
    paths = [*ROOT.glob("examserver/**/templates/**/*.html"), *ROOT.glob("examserver/**/*.py")]
    return {str(p.relative_to(ROOT)): p.read_text() for p in paths}


def test_no_page_formats_a_time_without_the_wib_helper():
    assert time_leaks(sources()) == []


@pytest.mark.parametrize(
    "violation",
    [
        ("examserver/hr/templates/hr/x.html", '<p>{{ c.summarised_at.strftime("%Y-%m-%d %H:%M") }} UTC</p>'),
        ("examserver/hr/templates/hr/x.html", "<td>{{ p.starts_on.isoformat() }}</td>"),
        ("examserver/hr/templates/hr/x.html", "{{ c.opens_at.astimezone(wib)|string }}"),
        ("examserver/hr/x.py", "from flask_babel import format_datetime, gettext"),
    ],
)
def test_the_check_reports_one_added_violation(violation):
    path, line = violation
    files = {**sources(), path: f"{{% block page %}}\n{line}\n"}
    assert time_leaks(files) == [f"{path}: {line}"]


def test_a_machine_read_time_attribute_is_not_a_violation():
    assert time_leaks({"examserver/x/templates/x.html": '<time datetime="{{ e.at.isoformat() }}">'}) == []


@pytest.mark.parametrize("locale", ["id", "en"])
def test_no_format_writes_a_two_digit_year(app, locale):
    """Issue 19: "05/12/26" reads as a code (or a day of 1926); every named format, the short one
    of lists and notices too, writes the year in full."""
    with app.test_request_context(), force_locale(locale):
        written = [format_moment(MOMENT, f) for f in ("short", "medium", "long", "full")]
        written += [format_day(MOMENT, f) for f in ("short", "medium", "long", "full")]
    assert all("2026" in text for text in written), written
    assert not [text for text in written if re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", text)]
