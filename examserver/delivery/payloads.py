"""What a candidate may fetch of an item, rendered once per item version.

Item versions never change (a database trigger refuses it), so the part of an item's payload that
depends only on its version (kind, stem, options by letter, images) is read once per process and
kept; each request adds the session's part (position, section, option order, the answer held).
Nothing here carries a key, a weight or a parameter: the browser sees display numbers only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.delivery.version_cache import VersionCache
from itembank.item_types import item_type
from itembank.models import Item, ItemAsset, ItemVersion, ItemVersionAsset

#: The player's name for each item type's answer shape (anything else is "single").
KINDS = {"numeric": "numeric", "multiple_response": "multiple"}


@dataclass(frozen=True)
class RenderedVersion:
    """The candidate-visible part of one item version: no key, no weights, no parameters."""

    kind: str
    stem: str
    #: Option HTML by letter (the browser only ever sees display numbers, in the session's order).
    options: dict[str, str]
    #: (asset id, alt text, width, height) of each image, in order.
    images: tuple[tuple[int, str, int, int], ...]


def _render(session: Session, version_ids: list[int]) -> Iterator[tuple[int, datetime, RenderedVersion]]:
    """Render ``version_ids`` in two queries: their images, then their content."""
    images: dict[int, list[tuple[int, str, int, int]]] = {}
    for version_id, *image in session.execute(
        select(ItemVersionAsset.version_id, ItemAsset.id, ItemAsset.alt_text, ItemAsset.width, ItemAsset.height)
        .join(ItemAsset, ItemAsset.id == ItemVersionAsset.asset_id)
        .where(ItemVersionAsset.version_id.in_(version_ids))
        .order_by(ItemAsset.id)
    ):
        images.setdefault(version_id, []).append(tuple(image))
    for version_id, created_at, type_key, stem, options in session.execute(
        select(ItemVersion.id, ItemVersion.created_at, Item.item_type, ItemVersion.stem, ItemVersion.options)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(version_ids))
    ):
        letters = [chr(65 + i) for i in range(len(options))]
        yield (
            version_id,
            created_at,
            RenderedVersion(
                kind=KINDS.get(item_type(type_key).key, "single"),
                stem=stem,
                options=dict(zip(letters, options, strict=True)),
                images=tuple(images.get(version_id, ())),
            ),
        )


#: Kept per process: each version is rendered once (see :mod:`version_cache`).
_rendered = VersionCache(_render)


def rendered_versions(session: Session, versions: Iterable[tuple[int, datetime]]) -> dict[int, RenderedVersion]:
    """The rendered form of each of ``versions`` (``(version id, created_at)`` pairs) by version id."""
    return _rendered.get(session, versions)


def display(kind: str, option_order: list[str], response: Any) -> Any:
    """Option letters as the browser's display numbers (numeric answers as they are)."""
    if response is None or kind == "numeric":
        return response
    number = {letter: str(index) for index, letter in enumerate(option_order, start=1)}
    if isinstance(response, list):
        return sorted(number[r] for r in response)
    return number[response]


def item_payload(
    session_id: int,
    position: int,
    section: str,
    option_order: list[str],
    version: RenderedVersion,
    answer: tuple[Any, bool, int] | None,
) -> dict:
    """One item as the player gets it; ``answer`` is the held (response, flagged, seq), or None."""
    return {
        "position": position,
        "section": section,
        "kind": version.kind,
        "stem": version.stem,
        "options": [{"id": str(i), "html": version.options[letter]} for i, letter in enumerate(option_order, start=1)],
        "images": [
            {"src": f"/api/sesi/{session_id}/aset/{asset_id}", "alt": alt, "width": width, "height": height}
            for asset_id, alt, width, height in version.images
        ],
        "response": display(version.kind, option_order, answer[0]) if answer else None,
        "flagged": bool(answer and answer[1]),
        "seq": answer[2] if answer else 0,
    }


#: Where an item sits in a session and what the server holds of its answer: (position, section
#: title, option order, version id, version created_at, held answer or None).
Placed = tuple[int, str, list[str], int, datetime, "tuple[Any, bool, int] | None"]


def session_payloads(session: Session, session_id: int, placed: Iterable[Placed]) -> list[dict]:
    """The payload of each placed item (:data:`Placed`), its version rendered once per process."""
    placed = list(placed)
    versions = rendered_versions(session, {(version_id, at) for _, _, _, version_id, at, _ in placed})
    return [
        item_payload(session_id, position, section, order, versions[version_id], held)
        for position, section, order, version_id, _, held in placed
    ]
