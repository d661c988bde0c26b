"""Operations on the item bank. They take plain values, add and flush; the caller commits.

The acting user is passed as an ``Actor`` (id and role), so this package never needs the web
layer's user model.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from itembank.content import plain_text
from itembank.item_types import Answer, ItemValidationError, item_type, letters
from itembank.models import Competency, Item, ItemAccess, ItemAsset, ItemEvent, ItemParameter, ItemVersion
from itembank.refusal import Refusal

WRITER_ROLES = {"item_writer", "admin"}
REVIEWER_ROLES = {"reviewer", "admin"}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user id and role (and address, for access logs)."""

    id: int
    role: str
    ip_address: str | None = None


@dataclass(frozen=True)
class Transition:
    """An allowed status change: who may make it and whether a reason is required."""

    action: str
    roles: frozenset[str]
    needs_comment: bool = False
    four_eyes: bool = False
    author_only: bool = False
    needs_parameters: bool = False


#: (from, to) -> rule. Everything not listed is refused.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("draft", "in_review"): Transition("submitted", frozenset(WRITER_ROLES), author_only=True),
    ("in_review", "approved"): Transition("approved", frozenset(REVIEWER_ROLES), four_eyes=True),
    ("in_review", "draft"): Transition("returned", frozenset(REVIEWER_ROLES), needs_comment=True),
    ("approved", "pilot"): Transition("piloted", frozenset(REVIEWER_ROLES)),
    ("approved", "operational"): Transition("operational", frozenset(REVIEWER_ROLES), needs_parameters=True),
    ("pilot", "operational"): Transition("operational", frozenset(REVIEWER_ROLES), needs_parameters=True),
    ("approved", "draft"): Transition("revised", frozenset(WRITER_ROLES), needs_comment=True, author_only=True),
    ("pilot", "draft"): Transition("revised", frozenset(WRITER_ROLES), needs_comment=True, author_only=True),
    **{
        (status, "retired"): Transition("retired", frozenset(REVIEWER_ROLES), needs_comment=True)
        for status in ("draft", "in_review", "approved", "pilot", "operational")
    },
}


def allowed_transitions(item: Item, actor: Actor) -> list[str]:
    """Statuses ``actor`` may move ``item`` to now."""
    return [to for (frm, to), rule in TRANSITIONS.items() if frm == item.status and _refusal(item, actor, rule) is None]


def _authors(item: Item) -> set[int]:
    return {item.author_id, *(version.created_by_id for version in item.versions)}


def _refusal(item: Item, actor: Actor, rule: Transition) -> str | None:
    if actor.role not in rule.roles:
        return "role_not_allowed"
    if rule.author_only and actor.role != "admin" and actor.id != item.author_id:
        return "not_the_author"
    if rule.four_eyes and actor.id in _authors(item):
        return "four_eyes"
    if rule.needs_parameters and item.current_parameter is None:
        return "needs_parameters"
    return None


def leaf_competency(session: Session, competency_id: int | None) -> Competency:
    """The competency, which must exist and be a leaf of the taxonomy."""
    competency = session.get(Competency, competency_id) if competency_id else None
    if competency is None:
        raise ItemValidationError("competency_unknown", "competency")
    if competency.children:
        raise ItemValidationError("competency_not_leaf", "competency")
    return competency


def next_item_code(session: Session, competency: Competency) -> str:
    """A fresh code from the top-level section of the competency, e.g. ``TWK-051``."""
    parts = competency.code.split(".")
    prefix = (parts[1] if len(parts) > 1 else parts[0])[:6].upper()
    existing = session.scalars(select(Item.code).where(Item.code.like(f"{prefix}-%"))).all()
    numbers = [int(code.rsplit("-", 1)[1]) for code in existing if code.rsplit("-", 1)[1].isdigit()]
    return f"{prefix}-{(max(numbers, default=0) + 1):03d}"


def create_item(
    session: Session,
    actor: Actor,
    *,
    competency_id: int,
    type_key: str,
    stem: str,
    options: list[str],
    answer: Answer,
    shuffle: bool = True,
    code: str | None = None,
    note: str | None = None,
    status: str = "draft",
    assets: Sequence[ItemAsset] = (),
) -> Item:
    """Create an item with its first version, in ``draft`` (imports may give another status)."""
    if actor.role not in WRITER_ROLES:
        raise Refusal("item.role_not_allowed")
    kind = item_type(type_key)
    competency = leaf_competency(session, competency_id)
    content = kind.clean(stem, options, answer)
    code = (code or "").strip().upper() or next_item_code(session, competency)
    if session.scalar(select(Item.id).where(Item.code == code)) is not None:
        raise ItemValidationError("code_taken", "code")
    item = Item(
        code=code,
        competency=competency,
        item_type=kind.key,
        status=status,
        author_id=actor.id,
        shuffle_options=bool(shuffle) and kind.shufflable,
    )
    session.add(item)
    version = ItemVersion(
        item=item,
        number=1,
        stem=content.stem,
        options=content.options,
        answer=content.answer,
        created_by_id=actor.id,
        note=note,
        assets=list(assets),
    )
    session.add(version)
    session.add(ItemEvent(item=item, actor_id=actor.id, action="created", to_status=status, version_number=1))
    session.flush()
    return item


def edit_item(
    session: Session,
    actor: Actor,
    item: Item,
    *,
    stem: str,
    options: list[str],
    answer: Answer,
    shuffle: bool,
    competency_id: int | None = None,
    note: str | None = None,
    assets: list[ItemAsset] | None = None,
) -> ItemVersion:
    """Save an edit as a new immutable version. Only drafts change, by their author or an admin.

    ``assets`` are the images of the new version; None keeps the current ones.
    """
    if item.status != "draft":
        raise Refusal("item.only_drafts_change")
    if actor.role not in WRITER_ROLES or (actor.role != "admin" and actor.id != item.author_id):
        raise Refusal("item.not_the_author")
    kind = item_type(item.item_type)
    content = kind.clean(stem, options, answer)
    if competency_id is not None and competency_id != item.competency_id:
        item.competency = leaf_competency(session, competency_id)
    current = item.current_version
    assets = list(current.assets) if assets is None else list(assets)
    unchanged = (
        content.stem == current.stem
        and content.options == current.options
        and content.answer == current.answer
        and [a.sha256 for a in assets] == [a.sha256 for a in current.assets]
    )
    item.shuffle_options = bool(shuffle) and kind.shufflable
    if unchanged:
        raise Refusal("item.nothing_changed")
    version = ItemVersion(
        item=item,
        number=current.number + 1,
        stem=content.stem,
        options=content.options,
        answer=content.answer,
        created_by_id=actor.id,
        note=note,
        assets=assets,
    )
    session.add(version)
    session.add(ItemEvent(item=item, actor_id=actor.id, action="edited", version_number=version.number, comment=note))
    session.flush()
    return version


def transition(session: Session, actor: Actor, item: Item, to_status: str, comment: str | None = None) -> ItemEvent:
    """Move ``item`` to ``to_status`` if the workflow allows it for ``actor``; records the event."""
    rule = TRANSITIONS.get((item.status, to_status))
    if rule is None:
        raise Refusal("item.transition_not_allowed", frm=item.status, to=to_status)
    refusal = _refusal(item, actor, rule)
    if refusal:
        raise Refusal(f"item.{refusal}")
    comment = (comment or "").strip() or None
    if rule.needs_comment and not comment:
        raise Refusal("item.comment_required")
    event = ItemEvent(
        item=item,
        actor_id=actor.id,
        action=rule.action,
        from_status=item.status,
        to_status=to_status,
        version_number=item.current_version.number,
        comment=comment,
    )
    item.status = to_status
    session.add(event)
    session.flush()
    return event


def record_view(session: Session, actor: Actor, item: Item) -> bool:
    """Log a look at an operational item's content; returns whether a row was written."""
    if item.status != "operational":
        return False
    session.add(ItemAccess(item_id=item.id, user_id=actor.id, kind="view", ip_address=actor.ip_address))
    session.flush()
    return True


def record_export(session: Session, actor: Actor, items: list[Item]) -> None:
    """Log a bulk export: one row per exported item."""
    session.add_all(
        ItemAccess(item_id=item.id, user_id=actor.id, kind="export", ip_address=actor.ip_address) for item in items
    )
    session.flush()


@dataclass(frozen=True)
class ItemFilter:
    """Search criteria for the bank; None means "any"."""

    text: str | None = None
    competency_id: int | None = None
    type_key: str | None = None
    status: str | None = None
    author_id: int | None = None
    b_min: float | None = None
    b_max: float | None = None
    #: Restrict to / leave out these item ids (e.g. by exposure, which the delivery layer computes).
    item_ids: frozenset[int] | None = None
    exclude_ids: frozenset[int] | None = None


def search_items(session: Session, criteria: ItemFilter) -> Select[tuple[Item]]:
    """A query for the items matching ``criteria``, newest first; competency includes descendants."""
    query = select(Item).order_by(Item.code)
    if criteria.text:
        pattern = f"%{criteria.text.strip().lower()}%"
        latest = select(ItemVersion.item_id).where(func.lower(ItemVersion.stem).like(pattern)).scalar_subquery()
        query = query.where(or_(func.lower(Item.code).like(pattern), Item.id.in_(latest)))
    if criteria.competency_id:
        query = query.where(Item.competency_id.in_(descendant_ids(session, criteria.competency_id)))
    if criteria.type_key:
        query = query.where(Item.item_type == criteria.type_key)
    if criteria.status:
        query = query.where(Item.status == criteria.status)
    if criteria.author_id:
        query = query.where(Item.author_id == criteria.author_id)
    if criteria.item_ids is not None:
        query = query.where(Item.id.in_(sorted(criteria.item_ids)))
    if criteria.exclude_ids:
        query = query.where(Item.id.not_in(sorted(criteria.exclude_ids)))
    if criteria.b_min is not None or criteria.b_max is not None:
        current = select(ItemParameter.item_id).where(ItemParameter.is_current.is_(True))
        if criteria.b_min is not None:
            current = current.where(ItemParameter.b >= criteria.b_min)
        if criteria.b_max is not None:
            current = current.where(ItemParameter.b <= criteria.b_max)
        query = query.where(Item.id.in_(current.scalar_subquery()))
    return query


def descendant_ids(session: Session, competency_id: int) -> list[int]:
    """The competency and every competency below it."""
    rows = session.execute(select(Competency.id, Competency.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for node, parent in rows:
        children.setdefault(parent, []).append(node)
    found, stack = [], [competency_id]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(children.get(node, []))
    return found


def version_diff(old: ItemVersion, new: ItemVersion) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Line-level differences between two versions, per field: (field, kind, [(op, text)]).

    ``op`` is one of ``equal``, ``delete``, ``insert``, computed on the visible text.
    """
    kind = item_type(new.item.item_type)

    def fields(version: ItemVersion) -> dict[str, str]:
        values = {"stem": plain_text(version.stem)}
        for letter, option in zip(letters(len(version.options)), version.options, strict=True):
            values[f"option_{letter}"] = plain_text(option)
        values["answer"] = kind.describe_answer(version.answer)
        return values

    before, after = fields(old), fields(new)
    result = []
    for name in dict.fromkeys([*before, *after]):
        a, b = before.get(name, ""), after.get(name, "")
        if a == b:
            result.append((name, "same", [("equal", a)]))
            continue
        ops = []
        words_a, words_b = a.split(" "), b.split(" ")
        matcher = difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                ops.append(("equal", " ".join(words_a[i1:i2])))
            else:
                if i2 > i1:
                    ops.append(("delete", " ".join(words_a[i1:i2])))
                if j2 > j1:
                    ops.append(("insert", " ".join(words_b[j1:j2])))
        result.append((name, "changed", ops))
    return result


def create_competency(
    session: Session,
    *,
    code: str,
    name: str,
    parent_id: int | None = None,
    name_en: str | None = None,
    description: str | None = None,
) -> Competency:
    """Add a node to the taxonomy. A parent that already has items cannot get children."""
    code = (code or "").strip().upper()
    if not code or not name.strip():
        raise ItemValidationError("competency_incomplete", "code")
    if session.scalar(select(Competency.id).where(Competency.code == code)) is not None:
        raise ItemValidationError("code_taken", "code")
    if parent_id is not None:
        parent = session.get(Competency, parent_id)
        if parent is None:
            raise ItemValidationError("competency_unknown", "parent")
        if session.scalar(select(Item.id).where(Item.competency_id == parent_id).limit(1)) is not None:
            raise ItemValidationError("parent_has_items", "parent")
    siblings = session.scalar(select(func.count(Competency.id)).where(Competency.parent_id == parent_id)) or 0
    competency = Competency(
        code=code,
        name=name.strip(),
        name_en=(name_en or "").strip() or None,
        parent_id=parent_id,
        description=(description or "").strip() or None,
        sort_order=siblings,
    )
    session.add(competency)
    session.flush()
    return competency
