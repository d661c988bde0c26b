"""Adaptive (CAT) delivery: the pool of an adaptive blueprint as a CAT bank, and the server-side
step that chooses each next item from the answers so far. Functions add and flush; the caller
commits.

The rules are fixed for now: content balancing to the blueprint's section counts (Kingsbury &
Zara 1989), maximum Fisher information at the EAP θ̂, randomesque exposure control over the five
best items, and a fixed length equal to the blueprint's total.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from examserver.delivery.models import ExamSession, SessionItem
from itembank.blueprints import DELIVERABLE
from itembank.item_types import item_type, letters
from itembank.models import BlueprintSection, Item, ItemParameter, TestBlueprint
from itembank.parameters import to_engine, usable
from itembank.refusal import Refusal
from itembank.services import descendant_ids
from scoring.cat import Bank, CATError, CATRules, next_item

RANDOMESQUE_N = 5


def adaptive_pool(session: Session, blueprint: TestBlueprint) -> list[tuple[BlueprintSection, Item]]:
    """Every operational item under each section's competency subtree, with its section.

    Raises :class:`~itembank.refusal.Refusal` when an item lacks usable current parameters or a section's
    pool is smaller than its count.
    """
    pool: list[tuple[BlueprintSection, Item]] = []
    seen: set[int] = set()
    for section in blueprint.sections:
        items = session.scalars(
            select(Item)
            .where(
                Item.competency_id.in_(descendant_ids(session, section.competency_id)),
                Item.status.in_(DELIVERABLE),
            )
            .options(selectinload(Item.parameters), selectinload(Item.versions))
            .order_by(Item.code)
        ).all()
        items = [item for item in items if item.id not in seen]
        missing = [item for item in items if item.current_parameter is None or not usable(item.current_parameter)]
        if missing:
            raise Refusal("delivery.adaptive_parameters_missing", section=section.title, item=missing[0].code)
        if len(items) < section.item_count:
            raise Refusal("delivery.pool_too_small", section=section.title)
        seen.update(item.id for item in items)
        pool.extend((section, item) for item in items)
    return pool


def cat_rules(blueprint: TestBlueprint) -> CATRules:
    """The blueprint's adaptive rules: its section counts, maximum information, randomesque."""
    return CATRules.from_dict(
        {
            "selection": "mfi",
            "exposure": {"rule": "randomesque", "n": RANDOMESQUE_N},
            "content": {
                "rule": "blueprint",
                "targets": {str(section.id): section.item_count for section in blueprint.sections},
            },
        }
    )


def build_bank(pool: list[tuple[BlueprintSection, Item]]) -> Bank:
    """The pool as a CAT bank: item ids as strings, the section id as the content category."""
    rows: list[ItemParameter] = []
    for _, item in pool:
        parameter = item.current_parameter
        assert parameter is not None, "adaptive_pool admits only items with current parameters"
        rows.append(parameter)
    params = to_engine(rows, ids=[str(item.id) for _, item in pool])
    return Bank(params, categories=[str(section.id) for section, _ in pool])


def check_blueprint(session: Session, blueprint: TestBlueprint) -> None:
    """Raise :class:`~itembank.refusal.Refusal` unless the blueprint's pool supports its adaptive test."""
    pool = adaptive_pool(session, blueprint)
    try:
        cat_rules(blueprint).check(build_bank(pool))
    except (CATError, ValueError) as error:
        raise Refusal("delivery.adaptive_bank_invalid") from error


def choose_next(session: Session, exam: ExamSession, rng: np.random.Generator | None = None) -> SessionItem | None:
    """Choose and add the session's next item by one CAT step on the answers so far.

    Returns the new :class:`SessionItem`, or None when the test is complete. The caller makes
    sure the last shown item is answered.
    """
    blueprint = exam.schedule.blueprint
    pool = adaptive_pool(session, blueprint)
    by_id = {str(item.id): (section, item) for section, item in pool}
    shown = list(exam.items)
    if len(shown) >= blueprint.item_count:
        return None
    administered, responses = [], []
    for si in shown:
        kind = item_type(si.item.item_type)
        response = si.answer.response if si.answer is not None else None
        administered.append(str(si.item_id))
        responses.append(kind.category(si.version.answer, response))
    if any(item_id not in by_id for item_id in administered):
        # An item left the pool mid-sitting (retired): the engine only knows the pool's items.
        kept = [(i, r) for i, r in zip(administered, responses, strict=True) if i in by_id]
        administered, responses = [i for i, _ in kept], [r for _, r in kept]
    rng = rng or np.random.default_rng()
    step = next_item(build_bank(pool), cat_rules(blueprint), administered, responses, rng=rng)
    if step.stop or step.item is None:
        return None
    section, item = by_id[step.item]
    version = item.current_version
    order = letters(len(version.options))
    if item.shuffle_options and item_type(item.item_type).shufflable:
        order = [order[i] for i in rng.permutation(len(order))]
    si = SessionItem(position=len(shown) + 1, section=section, item=item, version=version, option_order=order)
    exam.items.append(si)
    session.flush()
    return si
