"""Writing items as QTI 3.0 ``qti-assessment-item`` documents and content packages.

How each item type is expressed is in the :mod:`itembank.qti` docstring ([ASI] AssessmentItem,
[IMPL] response processing templates and packaging).
"""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable

from itembank.content import plain_text
from itembank.item_types import ITEM_TYPES, Answer, letters
from itembank.models import Item, ItemVersion
from itembank.qti.fragments import fill
from itembank.qti.vocabulary import (
    DATA,
    ITEM_RESOURCE_TYPE,
    MANIFEST_NS,
    MAP_RESPONSE,
    MATCH_CORRECT,
    SCHEMA_LOCATION,
    STEM_CLASS,
    XML_NS,
    XSI,
    local_name,
    qualified,
)

_CONTENT = {"div", "p", "qti-simple-choice", "qti-prompt", "qti-value", "qti-base-value"}
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _number(value: float) -> str:
    """A float as xs:double text that reads back exactly (``1``, ``0.5``, ``1e-07``)."""
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(float(value))


def _sub(parent: ET.Element, name: str, attrs: dict[str, str] | None = None, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, qualified(name), attrs or {})
    if text is not None:
        element.text = text
    return element


def _value_list(parent: ET.Element, name: str, values: Iterable[str]) -> None:
    container = _sub(parent, name)
    for value in values:
        _sub(container, "qti-value", text=value)


def _indent(element: ET.Element, level: int = 0) -> None:
    """Line breaks between structural elements only: whitespace inside content would change it."""
    children = list(element)
    if not children or local_name(element.tag) in _CONTENT:
        return
    padding = "\n" + "  " * (level + 1)
    element.text = padding
    for child in children:
        child.tail = padding
        _indent(child, level + 1)
    children[-1].tail = "\n" + "  " * level


def _response_declaration(root: ET.Element, item_type: str, answer: Answer) -> None:
    """``RESPONSE``: its cardinality, base type and correct response; the weights as a mapping."""
    numeric = item_type == "numeric"
    declaration = _sub(
        root,
        "qti-response-declaration",
        {
            "identifier": "RESPONSE",
            "cardinality": "multiple" if item_type == "multiple_response" else "single",
            "base-type": "float" if numeric else "identifier",
        },
    )
    if numeric:
        _value_list(declaration, "qti-correct-response", [_number(answer["value"])])
    elif item_type == "weighted_options":
        weights = answer["weights"]
        top = max(weights.values())
        _value_list(declaration, "qti-correct-response", [min(k for k, w in weights.items() if w == top)])
        mapping = _sub(declaration, "qti-mapping", {"default-value": "0"})
        for letter in sorted(weights):
            _sub(mapping, "qti-map-entry", {"map-key": letter, "mapped-value": str(weights[letter])})
    else:
        correct = answer["correct"]
        _value_list(declaration, "qti-correct-response", correct if isinstance(correct, list) else [correct])


def _item_body(root: ET.Element, item: Item, version: ItemVersion, type_key: str) -> None:
    """The stem div and the interaction, with our type, competency, status and IRT parameters
    as ``data-itembank-*`` attributes."""
    body_attrs = {
        f"{DATA}type": type_key,
        f"{DATA}competency": item.competency.code,
        f"{DATA}status": item.status,
    }
    parameter = item.current_parameter
    if parameter is not None:
        for name in ("a", "b", "c"):
            value = getattr(parameter, name)
            if value is not None:
                body_attrs[f"{DATA}{name}"] = _number(value)
    body = _sub(root, "qti-item-body", body_attrs)
    fill(_sub(body, "div", {"class": STEM_CLASS}), version.stem)
    if item.item_type == "numeric":
        paragraph = _sub(body, "p")
        _sub(
            paragraph,
            "qti-text-entry-interaction",
            {"response-identifier": "RESPONSE", "expected-length": "15"},
        )
        return
    interaction = _sub(
        body,
        "qti-choice-interaction",
        {
            "response-identifier": "RESPONSE",
            "shuffle": "true" if item.shuffle_options else "false",
            "max-choices": "0" if item.item_type == "multiple_response" else "1",
        },
    )
    for letter, option in zip(letters(len(version.options)), version.options, strict=True):
        fill(_sub(interaction, "qti-simple-choice", {"identifier": letter}), option)


def _response_processing(root: ET.Element, item_type: str, answer: Answer) -> None:
    """A template for choice items; written out for numeric items, which QTI has no template for
    (``qti-equal`` with the tolerance)."""
    if item_type != "numeric":
        template = MAP_RESPONSE if item_type == "weighted_options" else MATCH_CORRECT
        _sub(root, "qti-response-processing", {"template": template})
        return
    processing = _sub(root, "qti-response-processing")
    condition = _sub(processing, "qti-response-condition")
    branch = _sub(condition, "qti-response-if")
    tolerance = answer["tolerance"]
    equal_attrs = (
        {"tolerance-mode": "absolute", "tolerance": _number(tolerance)} if tolerance else {"tolerance-mode": "exact"}
    )
    equal = _sub(branch, "qti-equal", equal_attrs)
    _sub(equal, "qti-variable", {"identifier": "RESPONSE"})
    _sub(equal, "qti-correct", {"identifier": "RESPONSE"})
    score = _sub(branch, "qti-set-outcome-value", {"identifier": "SCORE"})
    _sub(score, "qti-base-value", {"base-type": "float"}, "1")
    otherwise = _sub(_sub(condition, "qti-response-else"), "qti-set-outcome-value", {"identifier": "SCORE"})
    _sub(otherwise, "qti-base-value", {"base-type": "float"}, "0")


def item_to_qti(item: Item, version: ItemVersion) -> str:
    """``version`` of ``item`` as a QTI 3.0 ``qti-assessment-item`` document (XML text).

    The identifier is the item code; the title is the beginning of the stem's text. See the
    :mod:`itembank.qti` docstring for how each type is expressed ([ASI] AssessmentItem, [IMPL]
    response processing templates) and where the competency and type are kept.
    """
    kind = ITEM_TYPES[item.item_type]
    root = ET.Element(
        qualified("qti-assessment-item"),
        {
            f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION,
            "identifier": item.code,
            "title": plain_text(version.stem)[:100] or item.code,
            "adaptive": "false",
            "time-dependent": "false",
            f"{{{XML_NS}}}lang": "id",
        },
    )
    _response_declaration(root, item.item_type, version.answer)
    outcome = _sub(
        root,
        "qti-outcome-declaration",
        {"identifier": "SCORE", "cardinality": "single", "base-type": "float"},
    )
    _value_list(outcome, "qti-default-value", ["0"])
    _item_body(root, item, version, kind.key)
    _response_processing(root, item.item_type, version.answer)
    _indent(root)
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


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
        archive.writestr("imsmanifest.xml", (_XML_DECLARATION + text).encode())
    return buffer.getvalue()
