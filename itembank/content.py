"""Sanitising the rich text of stems and options.

Item writers paste from word processors; candidates' browsers must only ever receive a small,
inert subset of HTML. We keep structure and emphasis (OWASP ASVS 5.2.2: sanitise untrusted
HTML with a well-tested library; here nh3, the Rust ammonia sanitiser).
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "pre",
    "blockquote",
}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
MAX_STEM_CHARS = 8000
MAX_OPTION_CHARS = 2000
_TAG = re.compile(r"<[^>]+>")
#: Character references: text that has them was sanitised already (or is HTML), never plain.
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_SPACE = re.compile(r"\s+")


def sanitise(text: str) -> str:
    """Return ``text`` as safe HTML: allowed tags only, no attributes but table spans, no links.

    Plain text (no tags, no character references) is escaped and its line breaks become ``<br>``,
    so writers may type without knowing HTML. The function is idempotent: its own output, posted
    back by an edit form, comes out unchanged.
    """
    text = (text or "").replace("\r\n", "\n").strip()
    if not _TAG.search(text) and not _ENTITY.search(text):
        text = html.escape(text, quote=False).replace("\n", "<br>")
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    ).strip()


def plain_text(fragment: str) -> str:
    """The visible text of a sanitised fragment, for search, diffs and CSV export."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment or ""))).strip()
