"""Items as IMS QTI 3.0 (``qti-assessment-item``) and QTI 3.0 content packages.

References (1EdTech, final release 1 May 2022):

- [ASI] QTI 3.0 Assessment, Section and Item Information Model,
  https://www.imsglobal.org/spec/qti/v3p0/info/ (the ``AssessmentItem``, ``ResponseDeclaration``,
  ``OutcomeDeclaration``, ``ItemBody``, ``ChoiceInteraction``, ``SimpleChoice``,
  ``TextEntryInteraction``, ``Mapping``/``MapEntry`` and ``Equal`` classes).
- [IMPL] QTI 3.0 Best Practices and Implementation Guide, https://www.imsglobal.org/spec/qti/v3p0/impl/
  (the sections on choice and text-entry interactions, response processing templates, and
  packaging: ``imsmanifest.xml`` with resources of type ``imsqti_item_xmlv3p0``).

How our item types map (one response variable ``RESPONSE``, one outcome ``SCORE``, float):

=================  ===============================================================================
single_choice      ``qti-choice-interaction max-choices="1"``, cardinality single, base-type
true_false         identifier, ``qti-correct-response``; template ``match_correct``.
multiple_response  ``max-choices="0"`` (no limit, so the count of keys is not given away),
                   cardinality multiple; ``match_correct`` (all or nothing, as we score it).
weighted_options   cardinality single with a ``qti-mapping`` holding a ``qti-map-entry`` per choice
                   (its weight); template ``map_response``; the correct response is a top choice.
numeric            ``qti-text-entry-interaction``, base-type float; QTI has no template for a
                   tolerance, so the response processing is written out: ``qti-equal
                   tolerance-mode="absolute" tolerance="t"`` (``exact`` when t = 0) of the response
                   and ``qti-correct`` sets SCORE to 1, else 0.
=================  ===============================================================================

Choice identifiers are the option letters (A, B, ...). The stem sits in
``<div class="itembank-stem">`` at the top of the item body. What QTI cannot say for itself is kept
on ``qti-item-body`` as data attributes (QTI 3 allows ``data-*`` on body content, [ASI]
"dataExtension"): ``data-itembank-type``, ``data-itembank-competency``, ``data-itembank-status``
and the current IRT parameters ``data-itembank-a``/``-b``/``-c``. Other players ignore them; our
import restores type and competency exactly from them. Items from other tools (without these
attributes) are read too: the type is inferred from the interaction, the competency must then be
supplied (``default_competency``), and the stem is the body without the interaction.

Reading is defensive: XML with a DOCTYPE or ENTITY declaration is refused before parsing (no
entity expansion, no external entities: XXE and "billion laughs"), only UTF-8 is accepted, sizes and
nesting depth are capped, and ZIP entries with absolute or ``..`` names, encryption, or more than
20 MB uncompressed in total are refused.
"""

from __future__ import annotations

import html
import io
import math
import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from html.parser import HTMLParser

from itembank.content import ALLOWED_TAGS, plain_text
from itembank.item_types import ITEM_TYPES, letters
from itembank.models import Item, ItemVersion
from itembank.transfer import MAX_ROWS, ItemDraft, RowError, as_html, row_error

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
MANIFEST_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
SCHEMA_LOCATION = f"{NS} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ITEM_RESOURCE_TYPE = "imsqti_item_xmlv3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates"
MATCH_CORRECT = f"{TEMPLATES}/match_correct.xml"
MAP_RESPONSE = f"{TEMPLATES}/map_response.xml"
STEM_CLASS = "itembank-stem"
DATA = "data-itembank-"

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = MAX_ROWS + 100
MAX_DEPTH = 64
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_VOID = {"br", "hr", "img"}

ET.register_namespace("", NS)
ET.register_namespace("xsi", XSI)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _number(value: float) -> str:
    """A float as xs:double text that reads back exactly (``1``, ``0.5``, ``1e-07``)."""
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(float(value))


# --- HTML fragments <-> XML elements -------------------------------------------------------------


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

    def handle_starttag(self, tag, attrs):
        element = ET.SubElement(self.stack[-1], _q(tag), {k: v for k, v in attrs if v is not None})
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        ET.SubElement(self.stack[-1], _q(tag), {k: v for k, v in attrs if v is not None})

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if _local(self.stack[depth].tag) == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self._append_text(data)


def _fill(parent: ET.Element, fragment: str) -> ET.Element:
    builder = _FragmentBuilder(parent)
    builder.feed(fragment)
    builder.close()
    return parent


def _escape(text: str | None) -> str:
    # A no-break space as an entity: sanitise() strips raw Unicode whitespace at the ends.
    return html.escape(text or "", quote=False).replace("\xa0", "&nbsp;")


def _inner_html(element: ET.Element) -> str:
    """The content of ``element`` as an HTML fragment for ``itembank.content.sanitise`` (marked
    as HTML when it has no tags: XML text is markup content, not typed plain text)."""
    return as_html(_content_html(element))


def _content_html(element: ET.Element) -> str:
    parts = [_escape(element.text)]
    for child in element:
        parts.append(_outer_html(child))
        parts.append(_escape(child.tail))
    return "".join(parts)


def _outer_html(element: ET.Element) -> str:
    tag = _local(element.tag)
    if tag not in ALLOWED_TAGS:  # unwrap foreign markup (span, div, img, ...); sanitise decides
        return _content_html(element)
    attrs = "".join(f' {_local(k)}="{html.escape(v)}"' for k, v in element.attrib.items())
    if tag in _VOID:
        return f"<{tag}{attrs}>"
    inner = _escape(element.text) + "".join(_outer_html(child) + _escape(child.tail) for child in element)
    return f"<{tag}{attrs}>{inner}</{tag}>"


# --- writing -------------------------------------------------------------------------------------


def _sub(parent: ET.Element, name: str, attrs: dict[str, str] | None = None, text: str | None = None):
    element = ET.SubElement(parent, _q(name), attrs or {})
    if text is not None:
        element.text = text
    return element


def _value_list(parent: ET.Element, name: str, values: Iterable[str]) -> None:
    container = _sub(parent, name)
    for value in values:
        _sub(container, "qti-value", text=value)


_CONTENT = {"div", "p", "qti-simple-choice", "qti-prompt", "qti-value", "qti-base-value"}


def _indent(element: ET.Element, level: int = 0) -> None:
    """Line breaks between structural elements only: whitespace inside content would change it."""
    children = list(element)
    if not children or _local(element.tag) in _CONTENT:
        return
    padding = "\n" + "  " * (level + 1)
    element.text = padding
    for child in children:
        child.tail = padding
        _indent(child, level + 1)
    children[-1].tail = "\n" + "  " * level


def item_to_qti(item: Item, version: ItemVersion) -> str:
    """``version`` of ``item`` as a QTI 3.0 ``qti-assessment-item`` document (XML text).

    The identifier is the item code; the title is the beginning of the stem's text. See the
    module docstring for how each type is expressed ([ASI] AssessmentItem, [IMPL] response
    processing templates) and where the competency and type are kept.
    """
    kind = ITEM_TYPES[item.item_type]
    answer = version.answer
    root = ET.Element(
        _q("qti-assessment-item"),
        {
            f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION,
            "identifier": item.code,
            "title": plain_text(version.stem)[:100] or item.code,
            "adaptive": "false",
            "time-dependent": "false",
            f"{{{XML_NS}}}lang": "id",
        },
    )
    numeric = item.item_type == "numeric"
    cardinality = "multiple" if item.item_type == "multiple_response" else "single"
    declaration = _sub(
        root,
        "qti-response-declaration",
        {
            "identifier": "RESPONSE",
            "cardinality": cardinality,
            "base-type": "float" if numeric else "identifier",
        },
    )
    if numeric:
        _value_list(declaration, "qti-correct-response", [_number(answer["value"])])
    elif item.item_type == "weighted_options":
        weights = answer["weights"]
        top = max(weights.values())
        _value_list(declaration, "qti-correct-response", [min(k for k, w in weights.items() if w == top)])
        mapping = _sub(declaration, "qti-mapping", {"default-value": "0"})
        for letter in sorted(weights):
            _sub(mapping, "qti-map-entry", {"map-key": letter, "mapped-value": str(weights[letter])})
    else:
        correct = answer["correct"]
        _value_list(declaration, "qti-correct-response", correct if isinstance(correct, list) else [correct])
    outcome = _sub(
        root,
        "qti-outcome-declaration",
        {"identifier": "SCORE", "cardinality": "single", "base-type": "float"},
    )
    _value_list(outcome, "qti-default-value", ["0"])

    parameter = item.current_parameter
    body_attrs = {
        f"{DATA}type": kind.key,
        f"{DATA}competency": item.competency.code,
        f"{DATA}status": item.status,
    }
    if parameter is not None:
        for name in ("a", "b", "c"):
            value = getattr(parameter, name)
            if value is not None:
                body_attrs[f"{DATA}{name}"] = _number(value)
    body = _sub(root, "qti-item-body", body_attrs)
    _fill(_sub(body, "div", {"class": STEM_CLASS}), version.stem)
    if numeric:
        paragraph = _sub(body, "p")
        _sub(
            paragraph,
            "qti-text-entry-interaction",
            {"response-identifier": "RESPONSE", "expected-length": "15"},
        )
    else:
        interaction = _sub(
            body,
            "qti-choice-interaction",
            {
                "response-identifier": "RESPONSE",
                "shuffle": "true" if item.shuffle_options else "false",
                "max-choices": "0" if cardinality == "multiple" else "1",
            },
        )
        for letter, option in zip(letters(len(version.options)), version.options, strict=True):
            _fill(_sub(interaction, "qti-simple-choice", {"identifier": letter}), option)

    if numeric:
        processing = _sub(root, "qti-response-processing")
        condition = _sub(processing, "qti-response-condition")
        branch = _sub(condition, "qti-response-if")
        tolerance = answer["tolerance"]
        equal_attrs = (
            {"tolerance-mode": "absolute", "tolerance": _number(tolerance)}
            if tolerance
            else {"tolerance-mode": "exact"}
        )
        equal = _sub(branch, "qti-equal", equal_attrs)
        _sub(equal, "qti-variable", {"identifier": "RESPONSE"})
        _sub(equal, "qti-correct", {"identifier": "RESPONSE"})
        score = _sub(branch, "qti-set-outcome-value", {"identifier": "SCORE"})
        _sub(score, "qti-base-value", {"base-type": "float"}, "1")
        otherwise = _sub(_sub(condition, "qti-response-else"), "qti-set-outcome-value", {"identifier": "SCORE"})
        _sub(otherwise, "qti-base-value", {"base-type": "float"}, "0")
    else:
        template = MAP_RESPONSE if item.item_type == "weighted_options" else MATCH_CORRECT
        _sub(root, "qti-response-processing", {"template": template})
    _indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _file_name(code: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]", "_", code).strip("._") or "item"
    name, counter = f"items/{base}.xml", 1
    while name.lower() in used:
        counter += 1
        name = f"items/{base}-{counter}.xml"
    used.add(name.lower())
    return name


def export_package(items: Iterable[Item]) -> bytes:
    """A QTI 3.0 content package (ZIP) of the items' current versions.

    ``imsmanifest.xml`` lists one resource of type ``imsqti_item_xmlv3p0`` per item ([IMPL]
    packaging), in the order given; each item is ``items/<code>.xml``.
    """
    # Unqualified names with an explicit xmlns: ElementTree cannot write a second default namespace.
    manifest = ET.Element("manifest", {"xmlns": MANIFEST_NS, "identifier": f"MANIFEST-{uuid.uuid4().hex}"})
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "QTI Package"
    ET.SubElement(metadata, "schemaversion").text = "3.0.0"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            name = _file_name(item.code, used)
            archive.writestr(name, item_to_qti(item, item.current_version).encode("utf-8"))
            resource = ET.SubElement(
                resources,
                "resource",
                {"identifier": f"RES-{len(used)}", "type": ITEM_RESOURCE_TYPE, "href": name},
            )
            ET.SubElement(resource, "file", {"href": name})
        ET.indent(manifest)
        text = ET.tostring(manifest, encoding="unicode")
        archive.writestr("imsmanifest.xml", ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode())
    return buffer.getvalue()


# --- reading -------------------------------------------------------------------------------------


class _Refused(Exception):
    """A file cannot be read; carries the error code and a detail for the message."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def parse_xml(data: bytes) -> ET.Element:
    """Parse untrusted XML safely, or raise ``_Refused``.

    Refuses, before the parser sees them: more than 20 MB, text that is not UTF-8 (or declares
    another encoding, which could hide a declaration from this check), and any DOCTYPE or ENTITY
    declaration (so no entity is ever expanded or fetched). Nesting deeper than 64 is refused
    after parsing.
    """
    if len(data) > MAX_BYTES:
        raise _Refused("file_too_large", "(at most 20 MB)")
    declared = _DECLARATION.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
        raise _Refused("xml_encoding")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _Refused("xml_encoding", f"(byte {error.start + 1})") from None
    if _FORBIDDEN.search(text):
        raise _Refused("xml_doctype")
    parser = ET.XMLParser()
    try:
        parser.feed(text.encode("utf-8"))
        root = parser.close()
    except ET.ParseError as error:
        line, column = error.position
        raise _Refused("xml_malformed", f"(line {line}, column {column})") from None
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Refused("xml_too_deep")
        stack.extend((child, depth + 1) for child in element)
    return root


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _first(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((node for node in element.iter() if _local(node.tag) == name), None)


def _values(element: ET.Element | None) -> list[str]:
    if element is None:
        return []
    return [(v.text or "").strip() for v in element.iter() if _local(v.tag) == "qti-value"]


def _parent_map(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def _remove(element: ET.Element, parents: dict[ET.Element, ET.Element]) -> None:
    """Remove ``element`` but keep the text that followed it."""
    parent = parents[element]
    siblings = list(parent)
    index = siblings.index(element)
    if element.tail:
        if index:
            siblings[index - 1].tail = (siblings[index - 1].tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _stem(body: ET.Element, interaction: ET.Element) -> str:
    """The stem: our stem div if the body is laid out as we write it, else the whole body
    without the interaction (and with its prompt, if any)."""
    holds_interaction = {interaction}
    parents = _parent_map(body)
    node = interaction
    while node in parents:
        node = parents[node]
        holds_interaction.add(node)
    others = [child for child in body if child not in holds_interaction]
    if len(others) == 1 and _local(others[0].tag) == "div" and STEM_CLASS in (others[0].get("class") or "").split():
        return _inner_html(others[0])
    prompt = _first(interaction, "qti-prompt")
    _remove(interaction, parents)
    for container in [n for n in holds_interaction if n is not body and n is not interaction]:
        if container in parents and not len(container) and not (container.text or "").strip():
            _remove(container, parents)
    stem = _content_html(body).strip()
    if prompt is not None:
        stem = f"{stem}<p>{_content_html(prompt)}</p>" if stem else _content_html(prompt)
    return as_html(stem.strip())


def _template_name(processing: ET.Element | None) -> str:
    template = (processing.get("template") or "") if processing is not None else ""
    return posixpath.basename(template).removesuffix(".xml").lower()


def _float(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    value = float(text)  # raises ValueError
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def item_from_xml(root: ET.Element, *, position: int = 1, source: str = "", default_competency: str = "") -> ItemDraft:
    """One ``qti-assessment-item`` element as a draft; raises ``_Refused`` for what we cannot
    represent. Content is validated later by ``itembank.transfer.validate_drafts``."""
    if _local(root.tag) != "qti-assessment-item" or not root.tag.startswith(f"{{{NS}}}"):
        raise _Refused("not_qti3_item")
    code = (root.get("identifier") or "").strip()
    if not code:
        raise _Refused("identifier_missing")
    body = next(iter(_children(root, "qti-item-body")), None)
    if body is None:
        raise _Refused("interaction_count")
    interactions = [n for n in body.iter() if _local(n.tag).endswith("-interaction")]
    if len(interactions) != 1:
        raise _Refused("interaction_count")
    interaction = interactions[0]
    declaration = next(
        (
            d
            for d in _children(root, "qti-response-declaration")
            if d.get("identifier") == interaction.get("response-identifier")
        ),
        None,
    )
    processing = next(iter(_children(root, "qti-response-processing")), None)
    type_key = (body.get(f"{DATA}type") or "").strip()
    competency = (body.get(f"{DATA}competency") or default_competency or "").strip().upper()
    status = (body.get(f"{DATA}status") or "draft").strip()
    try:
        a, b, c = (_float(body.get(f"{DATA}{name}")) for name in ("a", "b", "c"))
    except ValueError:
        raise _Refused("not_a_number", "(IRT parameters)") from None
    correct = _values(_first(declaration, "qti-correct-response"))
    interaction_kind = _local(interaction.tag)

    if interaction_kind == "qti-text-entry-interaction":
        if declaration is None or declaration.get("base-type") not in ("float", "integer") or not correct:
            raise _Refused("interaction_unsupported", "(a numeric answer needs base-type float)")
        type_key = type_key or "numeric"
        equal = _first(processing, "qti-equal")
        tolerance = 0.0
        if equal is not None and (equal.get("tolerance-mode") or "exact") != "exact":
            bounds = (equal.get("tolerance") or "0").split()
            if equal.get("tolerance-mode") != "absolute" or len(set(bounds)) != 1:
                raise _Refused("tolerance_unsupported")
            tolerance = bounds[0]
        try:
            answer: dict = {"value": float(correct[0]), "tolerance": float(tolerance)}
        except ValueError:
            answer = {"value": correct[0], "tolerance": tolerance}  # the item type reports it
        options: tuple[str, ...] = ()
        shuffle = False
        stem_source = _stem(body, interaction)
    elif interaction_kind == "qti-choice-interaction":
        choices = _children(interaction, "qti-simple-choice")
        if len(choices) > max(kind.max_options for kind in ITEM_TYPES.values()):
            raise _Refused("option_count")
        identifiers = [choice.get("identifier") or "" for choice in choices]
        to_letter = dict(zip(identifiers, letters(len(choices)), strict=False))
        options = tuple(_inner_html(choice) for choice in choices)
        shuffle = (interaction.get("shuffle") or "false").strip().lower() == "true"
        mapping = _first(declaration, "qti-mapping")
        multiple = declaration is not None and declaration.get("cardinality") == "multiple"
        if not type_key:
            if multiple:
                type_key = "multiple_response"
            elif mapping is not None and (_template_name(processing) == "map_response" or not correct):
                type_key = "weighted_options"
            else:
                type_key = "single_choice"
        if type_key == "weighted_options":
            if mapping is None:
                answer = {}
            else:
                try:
                    default = float(mapping.get("default-value") or 0)
                    entries = {
                        entry.get("map-key"): float(entry.get("mapped-value") or "")
                        for entry in _children(mapping, "qti-map-entry")
                    }
                except ValueError:
                    raise _Refused("weight_not_integer") from None
                answer = {
                    "weights": {to_letter[identifier]: entries.get(identifier, default) for identifier in identifiers}
                }
        else:
            keys = [to_letter.get(value, f"?{value}") for value in correct]
            answer = {"correct": keys if type_key == "multiple_response" else (keys[0] if keys else "")}
        stem_source = _stem(body, interaction)
    else:
        raise _Refused("interaction_unsupported", f"({interaction_kind})")
    return ItemDraft(
        code=code.upper(),
        competency_code=competency,
        type_key=type_key,
        stem=stem_source,
        options=options,
        answer=answer,
        shuffle=shuffle,
        status=status,
        a=a,
        b=b,
        c=c,
        row=position,
        source=source,
    )


def _safe_name(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in name.split("/")


def _read_zip(data: bytes) -> tuple[dict[str, bytes], list[RowError]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return {}, [row_error(0, "file", "zip_malformed")]
    if len(infos) > MAX_FILES:
        return {}, [row_error(0, "file", "zip_too_many_files")]
    errors = []
    for info in infos:
        if not _safe_name(info.filename):
            errors.append(row_error(0, "file", "zip_unsafe_name", info.filename[:200]))
        elif info.flag_bits & 0x1:
            errors.append(row_error(0, "file", "zip_encrypted", info.filename[:200]))
    if errors:
        return {}, errors
    if sum(info.file_size for info in infos) > MAX_BYTES:
        return {}, [row_error(0, "file", "file_too_large", detail="(at most 20 MB unpacked)")]
    files: dict[str, bytes] = {}
    budget = MAX_BYTES
    try:
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as stream:
                content = stream.read(budget + 1)  # the header's size may lie; count what comes out
            budget -= len(content)
            if budget < 0:
                return {}, [row_error(0, "file", "file_too_large", detail="(at most 20 MB unpacked)")]
            files[posixpath.normpath(info.filename)] = content
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return {}, [row_error(0, "file", "zip_malformed")]
    return files, []


def _item_files(files: dict[str, bytes]) -> tuple[list[str], list[RowError]]:
    """Item file names in manifest order (or, without a manifest, every XML file by name)."""
    if "imsmanifest.xml" not in files:
        return sorted(name for name in files if name.lower().endswith(".xml")), []
    try:
        manifest = parse_xml(files["imsmanifest.xml"])
    except _Refused as refused:
        return [], [row_error(0, "manifest", refused.code, "imsmanifest.xml", refused.detail)]
    names, errors = [], []
    for resource in manifest.iter():
        if _local(resource.tag) != "resource":
            continue
        if not (resource.get("type") or "").lower().startswith(ITEM_RESOURCE_TYPE):
            continue
        href = (resource.get("href") or "").split("#", 1)[0].split("?", 1)[0]
        name = posixpath.normpath(href) if href else ""
        if not _safe_name(href):
            errors.append(row_error(0, "manifest", "zip_unsafe_name", "imsmanifest.xml", href[:200]))
        elif name not in files:
            errors.append(row_error(0, "manifest", "manifest_missing_file", "imsmanifest.xml", href[:200]))
        elif name not in names:
            names.append(name)
    return names, errors


def parse_package(data: bytes, *, default_competency: str = "") -> tuple[list[ItemDraft], list[RowError]]:
    """Read a QTI 3.0 package (ZIP) or a single item (XML) into drafts, reporting every problem.

    Items are numbered by their position (1-based, manifest order) and carry their file name as
    ``source``; row 0 is the package as a whole. Nothing here raises on bad input: zip bombs
    (over 20 MB unpacked), unsafe names (absolute, ``..``), encrypted entries, DOCTYPE/ENTITY
    declarations, malformed or non-UTF-8 XML all become RowErrors. ``default_competency`` is used
    for items that do not carry our ``data-itembank-competency`` attribute.
    """
    if len(data) > MAX_BYTES:
        return [], [row_error(0, "file", "file_too_large", detail="(at most 20 MB)")]
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        files, errors = _read_zip(data)
        if errors:
            return [], errors
        names, errors = _item_files(files)
        listed = "imsmanifest.xml" in files
    else:
        files, names, errors, listed = {"item.xml": data}, ["item.xml"], [], True
    drafts: list[ItemDraft] = []
    position = 0
    for name in names:
        try:
            root = parse_xml(files[name])
        except _Refused as refused:
            position += 1
            errors.append(row_error(position, "file", refused.code, name, refused.detail))
            continue
        if _local(root.tag) != "qti-assessment-item" and not listed:
            continue  # without a manifest, other XML files (tests, stimuli) are not items
        position += 1
        if position > MAX_ROWS:
            errors.append(row_error(position, "file", "too_many_rows", name))
            break
        try:
            drafts.append(item_from_xml(root, position=position, source=name, default_competency=default_competency))
        except _Refused as refused:
            errors.append(row_error(position, "item", refused.code, name, refused.detail))
    if not drafts and not errors:
        errors.append(row_error(0, "file", "no_items"))
    return drafts, errors
