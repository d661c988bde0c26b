"""Every user-facing string is translatable and translated into English."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import render_template_string, session
from flask_babel import force_locale, gettext, lazy_gettext

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHOD_MAP = [("examserver/**.py", "python"), ("examserver/**/templates/**.html", "jinja2")]


def extracted_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def english_catalog():
    with open(ROOT / "examserver/translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle, locale="en")


def test_every_message_has_an_english_translation():
    catalog = english_catalog()
    untranslated = sorted(
        message
        for message in extracted_messages()
        if not (catalog.get(message) and catalog.get(message).string and not catalog.get(message).fuzzy)
    )
    assert untranslated == []


# A printf conversion as Python's ``%`` operator reads it: ``%%``, or an optional ``(name)``, flags, width,
# precision, length modifier and a conversion type (Python docs, "printf-style String Formatting").
PRINTF = re.compile(r"%(?:%|(?:\(\w+\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa])")
BRACES = re.compile(r"\{\w*\}")


def placeholders(text: str) -> set[str]:
    """Every conversion spec and ``{name}`` field in ``text``, written out in full (``%%`` is not one)."""
    return {token for token in PRINTF.findall(text) if token != "%%"} | set(BRACES.findall(text))


def stray_percents(text: str) -> str:
    """What is left of ``text``'s percent signs once every valid conversion is taken out."""
    return "".join(ch for ch in PRINTF.sub("", text) if ch == "%")


def forms(text: str | tuple) -> tuple[str, ...]:
    return text if isinstance(text, tuple) else (text,)


def test_the_placeholder_reader_sees_every_printf_form():
    specs = ["%(a)s", "%(b)d", "%(c).2f", "%(d)5.1f", "%(e)-8s", "%(f)+.1e", "%(g)03d", "%(h)r", "%s", "%d"]
    assert placeholders(" ".join(specs) + " 40%%") == set(specs)
    assert placeholders("{n} dari {a}") == {"{n}", "{a}"}
    assert stray_percents("40%% SKD, %(x).0f%%") == "" and stray_percents("40% SKD") == "%"


def test_placeholders_survive_translation():
    mismatched, broken = [], []
    for message in english_catalog():
        if not (message.id and message.string):
            continue
        source = set().union(*(placeholders(form) for form in forms(message.id)))
        target = set().union(*(placeholders(form) for form in forms(message.string)))
        formatted = any(PRINTF.search(form) for form in forms(message.id))
        if not formatted:
            # No conversion and no %% in the source: a literal "95%", never run through the % operator.
            source, target = {t for t in source if t[0] == "{"}, {t for t in target if t[0] == "{"}
        if source != target:
            mismatched.append((message.id, sorted(source ^ target)))
        # A lone percent sign in a formatted message would make the % operator raise at runtime.
        if formatted and any(stray_percents(form) for form in forms(message.string)):
            broken.append(message.id)
    assert mismatched == []
    assert broken == []


def test_templates_have_no_untranslated_visible_text():
    """Catch visible Indonesian text written straight into a template, outside ``_()``."""

    tag_text = re.compile(r">\s*([A-Za-z][^<{}]{3,})<")
    offenders = []
    for path in (ROOT / "examserver").rglob("templates/**/*.html"):
        for match in tag_text.finditer(path.read_text()):
            text = match.group(1).strip()
            if text not in {"Bahasa Indonesia", "English"}:
                offenders.append(f"{path.relative_to(ROOT)}: {text}")
    assert offenders == []


def test_templates_follow_the_locale_of_the_request_and_a_forced_one(app):
    """The catalogue is looked up once per request (examserver.extensions.RequestDomain), in the
    templates and in Python: it still follows the request's locale, a locale forced mid-request
    and its end."""
    page = "{{ _('Selesai') }} {{ ngettext('%(num)d soal', '%(num)d soal', 2) }}"
    with app.test_request_context():
        session["lang"] = "en"
        assert render_template_string("{{ _('Selesai') }}") == "Finished"
        with force_locale("id"):
            assert render_template_string("{{ _('Selesai') }}") == "Selesai"
            assert str(lazy_gettext("Selesai")) == gettext("Selesai") == "Selesai"
        assert render_template_string("{{ _('Selesai') }}") == "Finished"
        assert str(lazy_gettext("Selesai")) == gettext("Selesai") == "Finished"
    with app.test_request_context():
        assert render_template_string(page) == "Selesai 2 soal"


def test_a_heading_over_one_value_per_row_reads_singular_in_english(app):
    """A column heading names what one cell holds: a section's threshold, a candidate's SKB score
    (they read "Thresholds" and "SKB scores"); an item's several category thresholds stay plural."""
    with app.test_request_context(), force_locale("en"):
        assert [gettext("Ambang"), gettext("Nilai SKB"), gettext("Ambang kategori")] == [
            "Threshold",
            "SKB score",
            "Category thresholds",
        ]
