"""HTML fragments (our sanitised stems and options) to QTI XML elements and back."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from itembank.content import ALLOWED_TAGS
from itembank.qti.vocabulary import local_name, qualified
from itembank.transfer import as_html

_VOID = {"br", "hr", "img"}


class _FragmentBuilder(HTMLParser):
    """Builds the elements of a sanitised HTML fragment under ``parent`` (QTI namespace)."""

    def __init__(self, parent: ET.Element):
        super().__init__(convert_charrefs=True)
        self.stack = [parent]

    def _append_text(self, text: str) -> None:
        top = self.stack[-1]
        if len(top):
            top[-1].tail = (top[-1].tail or "") + text
        else:
            top.text = (top.text or "") + text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = ET.SubElement(self.stack[-1], qualified(tag), {k: v for k, v in attrs if v is not None})
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ET.SubElement(self.stack[-1], qualified(tag), {k: v for k, v in attrs if v is not None})

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if local_name(self.stack[depth].tag) == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._append_text(data)


def fill(parent: ET.Element, fragment: str) -> ET.Element:
    """Append the elements and text of the HTML ``fragment`` to ``parent``; returns ``parent``."""
    builder = _FragmentBuilder(parent)
    builder.feed(fragment)
    builder.close()
    return parent


def _escape(text: str | None) -> str:
    # A no-break space as an entity: sanitise() strips raw Unicode whitespace at the ends.
    return html.escape(text or "", quote=False).replace("\xa0", "&nbsp;")


def inner_html(element: ET.Element) -> str:
    """The content of ``element`` as an HTML fragment for ``itembank.content.sanitise`` (marked
    as HTML when it has no tags: XML text is markup content, not typed plain text)."""
    return as_html(content_html(element))


def content_html(element: ET.Element) -> str:
    """The content of ``element`` as HTML text, foreign markup unwrapped (not yet marked as HTML)."""
    parts = [_escape(element.text)]
    for child in element:
        parts.append(_outer_html(child))
        parts.append(_escape(child.tail))
    return "".join(parts)


def _outer_html(element: ET.Element) -> str:
    tag = local_name(element.tag)
    if tag not in ALLOWED_TAGS:  # unwrap foreign markup (span, div, img, ...); sanitise decides
        return content_html(element)
    attrs = "".join(f' {local_name(k)}="{html.escape(v)}"' for k, v in element.attrib.items())
    if tag in _VOID:
        return f"<{tag}{attrs}>"
    inner = _escape(element.text) + "".join(_outer_html(child) + _escape(child.tail) for child in element)
    return f"<{tag}{attrs}>{inner}</{tag}>"
