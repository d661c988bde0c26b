"""Reading QTI 3.0 items and content packages into drafts for :mod:`itembank.transfer`.

Items we wrote carry their type and competency as ``data-itembank-*`` attributes and come back
exactly. Items from other tools (without these attributes) are read too: the type is inferred
from the interaction, the competency must then be supplied (``default_competency``), and the
stem is the body without the interaction. Files are read through :mod:`itembank.qti.safe_parsing`.
"""

from __future__ import annotations

import math
import posixpath
import xml.etree.ElementTree as ET

from itembank.item_types import ITEM_TYPES, Answer, letters
from itembank.qti.fragments import content_html, inner_html
from itembank.qti.safe_parsing import MAX_BYTES, Refused, parse_xml, read_zip, safe_name
from itembank.qti.vocabulary import DATA, ITEM_RESOURCE_TYPE, NS, STEM_CLASS, local_name
from itembank.transfer import MAX_ROWS, ItemDraft, RowError, as_html, row_error


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if local_name(child.tag) == name]


def _first(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((node for node in element.iter() if local_name(node.tag) == name), None)


def _values(element: ET.Element | None) -> list[str]:
    if element is None:
        return []
    return [(v.text or "").strip() for v in element.iter() if local_name(v.tag) == "qti-value"]


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
    without the interaction (and with its prompt, if any). Removes the interaction from ``body``."""
    holds_interaction = {interaction}
    parents = _parent_map(body)
    node = interaction
    while node in parents:
        node = parents[node]
        holds_interaction.add(node)
    others = [child for child in body if child not in holds_interaction]
    if len(others) == 1 and local_name(others[0].tag) == "div" and STEM_CLASS in (others[0].get("class") or "").split():
        return inner_html(others[0])
    prompt = _first(interaction, "qti-prompt")
    _remove(interaction, parents)
    for container in [n for n in holds_interaction if n is not body and n is not interaction]:
        if container in parents and not len(container) and not (container.text or "").strip():
            _remove(container, parents)
    stem = content_html(body).strip()
    if prompt is not None:
        stem = f"{stem}<p>{content_html(prompt)}</p>" if stem else content_html(prompt)
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


# --- one item, step by step ----------------------------------------------------------------------


def _item_structure(root: ET.Element) -> tuple[str, ET.Element, ET.Element]:
    """The identifier, the item body and its one interaction of a QTI 3.0 item."""
    if local_name(root.tag) != "qti-assessment-item" or not root.tag.startswith(f"{{{NS}}}"):
        raise Refused("not_qti3_item")
    code = (root.get("identifier") or "").strip()
    if not code:
        raise Refused("identifier_missing")
    body = next(iter(_children(root, "qti-item-body")), None)
    if body is None:
        raise Refused("interaction_count")
    interactions = [n for n in body.iter() if local_name(n.tag).endswith("-interaction")]
    if len(interactions) != 1:
        raise Refused("interaction_count")
    return code, body, interactions[0]


def _declaration_of(root: ET.Element, interaction: ET.Element) -> ET.Element | None:
    """The response declaration the interaction answers to, if any."""
    return next(
        (
            d
            for d in _children(root, "qti-response-declaration")
            if d.get("identifier") == interaction.get("response-identifier")
        ),
        None,
    )


def _annotations(
    body: ET.Element, default_competency: str
) -> tuple[str, str, str, tuple[float | None, float | None, float | None]]:
    """What we keep as ``data-itembank-*`` on the body: type, competency, status and (a, b, c)."""
    type_key = (body.get(f"{DATA}type") or "").strip()
    competency = (body.get(f"{DATA}competency") or default_competency or "").strip().upper()
    status = (body.get(f"{DATA}status") or "draft").strip()
    try:
        a, b, c = (_float(body.get(f"{DATA}{name}")) for name in ("a", "b", "c"))
    except ValueError:
        raise Refused("not_a_number", "(IRT parameters)") from None
    return type_key, competency, status, (a, b, c)


def _numeric_answer(declaration: ET.Element | None, processing: ET.Element | None, correct: list[str]) -> Answer:
    """Value and absolute tolerance of a text-entry item (``qti-equal`` in its processing)."""
    if declaration is None or declaration.get("base-type") not in ("float", "integer") or not correct:
        raise Refused("interaction_unsupported", "(a numeric answer needs base-type float)")
    equal = _first(processing, "qti-equal")
    tolerance: float | str = 0.0
    if equal is not None and (equal.get("tolerance-mode") or "exact") != "exact":
        bounds = (equal.get("tolerance") or "0").split()
        if equal.get("tolerance-mode") != "absolute" or len(set(bounds)) != 1:
            raise Refused("tolerance_unsupported")
        tolerance = bounds[0]
    try:
        return {"value": float(correct[0]), "tolerance": float(tolerance)}
    except ValueError:
        return {"value": correct[0], "tolerance": tolerance}  # the item type reports it


def _choice_type(
    declaration: ET.Element | None, processing: ET.Element | None, mapping: ET.Element | None, correct: list[str]
) -> str:
    """The item type of a choice item from another tool, inferred from its declaration."""
    if declaration is not None and declaration.get("cardinality") == "multiple":
        return "multiple_response"
    if mapping is not None and (_template_name(processing) == "map_response" or not correct):
        return "weighted_options"
    return "single_choice"


def _weights(mapping: ET.Element | None, identifiers: list[str], to_letter: dict[str, str]) -> Answer:
    """The weight of every option (the mapping's default for options it leaves out)."""
    if mapping is None:
        return {}
    try:
        default = float(mapping.get("default-value") or 0)
        entries = {
            entry.get("map-key"): float(entry.get("mapped-value") or "")
            for entry in _children(mapping, "qti-map-entry")
        }
    except ValueError:
        raise Refused("weight_not_integer") from None
    return {"weights": {to_letter[identifier]: entries.get(identifier, default) for identifier in identifiers}}


def _choice_answer(
    interaction: ET.Element,
    declaration: ET.Element | None,
    processing: ET.Element | None,
    correct: list[str],
    type_key: str,
) -> tuple[str, tuple[str, ...], bool, Answer]:
    """Type, options, shuffle and answer of a ``qti-choice-interaction``; choice identifiers
    become our option letters in document order."""
    choices = _children(interaction, "qti-simple-choice")
    if len(choices) > max(kind.max_options for kind in ITEM_TYPES.values()):
        raise Refused("option_count")
    identifiers = [choice.get("identifier") or "" for choice in choices]
    to_letter = dict(zip(identifiers, letters(len(choices)), strict=False))
    options = tuple(inner_html(choice) for choice in choices)
    shuffle = (interaction.get("shuffle") or "false").strip().lower() == "true"
    mapping = _first(declaration, "qti-mapping")
    type_key = type_key or _choice_type(declaration, processing, mapping, correct)
    if type_key == "weighted_options":
        return type_key, options, shuffle, _weights(mapping, identifiers, to_letter)
    keys = [to_letter.get(value, f"?{value}") for value in correct]
    return (
        type_key,
        options,
        shuffle,
        {"correct": keys if type_key == "multiple_response" else (keys[0] if keys else "")},
    )


def item_from_xml(root: ET.Element, *, position: int = 1, source: str = "", default_competency: str = "") -> ItemDraft:
    """One ``qti-assessment-item`` element as a draft; raises ``Refused`` for what we cannot
    represent. Content is validated later by ``itembank.transfer.validate_drafts``."""
    code, body, interaction = _item_structure(root)
    declaration = _declaration_of(root, interaction)
    processing = next(iter(_children(root, "qti-response-processing")), None)
    type_key, competency, status, (a, b, c) = _annotations(body, default_competency)
    correct = _values(_first(declaration, "qti-correct-response"))
    interaction_kind = local_name(interaction.tag)
    options: tuple[str, ...]
    if interaction_kind == "qti-text-entry-interaction":
        answer = _numeric_answer(declaration, processing, correct)
        type_key, options, shuffle = type_key or "numeric", (), False
    elif interaction_kind == "qti-choice-interaction":
        type_key, options, shuffle, answer = _choice_answer(interaction, declaration, processing, correct, type_key)
    else:
        raise Refused("interaction_unsupported", f"({interaction_kind})")
    return ItemDraft(
        code=code.upper(),
        competency_code=competency,
        type_key=type_key,
        stem=_stem(body, interaction),
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


# --- packages ------------------------------------------------------------------------------------


def _item_files(files: dict[str, bytes]) -> tuple[list[str], list[RowError]]:
    """Item file names in manifest order (or, without a manifest, every XML file by name)."""
    if "imsmanifest.xml" not in files:
        return sorted(name for name in files if name.lower().endswith(".xml")), []
    try:
        manifest = parse_xml(files["imsmanifest.xml"])
    except Refused as refused:
        return [], [row_error(0, "manifest", refused.code, "imsmanifest.xml", refused.detail)]
    names, errors = [], []
    for resource in manifest.iter():
        if local_name(resource.tag) != "resource":
            continue
        if not (resource.get("type") or "").lower().startswith(ITEM_RESOURCE_TYPE):
            continue
        href = (resource.get("href") or "").split("#", 1)[0].split("?", 1)[0]
        name = posixpath.normpath(href) if href else ""
        if not safe_name(href):
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
        files, errors = read_zip(data)
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
        except Refused as refused:
            position += 1
            errors.append(row_error(position, "file", refused.code, name, refused.detail))
            continue
        if local_name(root.tag) != "qti-assessment-item" and not listed:
            continue  # without a manifest, other XML files (tests, stimuli) are not items
        position += 1
        if position > MAX_ROWS:
            errors.append(row_error(position, "file", "too_many_rows", name))
            break
        try:
            drafts.append(item_from_xml(root, position=position, source=name, default_competency=default_competency))
        except Refused as refused:
            errors.append(row_error(position, "item", refused.code, name, refused.detail))
    if not drafts and not errors:
        errors.append(row_error(0, "file", "no_items"))
    return drafts, errors
