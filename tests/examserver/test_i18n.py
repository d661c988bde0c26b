"""Every user-facing string is translatable and translated into English."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

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


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for message in english_catalog():
        if message.id and message.string:
            assert sorted(placeholder.findall(message.id)) == sorted(placeholder.findall(message.string)), message.id


def test_templates_have_no_untranslated_visible_text():
    """Catch visible Indonesian text written straight into a template, outside ``_()``."""
    import re

    tag_text = re.compile(r">\s*([A-Za-z][^<{}]{3,})<")
    offenders = []
    for path in (ROOT / "examserver").rglob("templates/**/*.html"):
        for match in tag_text.finditer(path.read_text()):
            text = match.group(1).strip()
            if text not in {"Bahasa Indonesia", "English"}:
                offenders.append(f"{path.relative_to(ROOT)}: {text}")
    assert offenders == []
