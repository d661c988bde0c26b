"""Test blueprints and fixed forms: creating blueprints, finding the eligible pool per section,
assembling parallel forms and publishing them with their items pinned to content versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from itembank.assembly import assemble_parallel_forms
from itembank.item_types import ItemValidationError
from itembank.models import (
    DELIVERY_MODES,
    SCORING_RULES,
    BlueprintSection,
    Competency,
    Item,
    ItemParameter,
    ItemVersion,
    TestBlueprint,
    TestForm,
    TestFormItem,
)
from itembank.parameters import information_matrix
from itembank.refusal import Refusal
from itembank.services import Actor, descendant_ids

#: θ points at which assembled forms are matched (the range where selection decisions fall).
ASSEMBLY_THETA = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
#: Statuses an item may have to appear on a form.
DELIVERABLE = ("operational",)


@dataclass(frozen=True)
class SectionSpec:
    """One section of a blueprint as entered by a person."""

    competency_id: int
    title: str
    item_count: int
    scoring_rule: str = "points_per_correct"
    points_per_correct: int = 5
    pass_threshold: float | None = None
    #: Adaptive blueprints only: the threshold on the reporting scale of θ.
    scaled_threshold: float | None = None


def validate_scale(scale: Mapping[str, Any]) -> dict[str, Any]:
    """Check a reporting scale: {"kind": "range", "min", "max"} or {"kind": "normal", "mean", "sd"}.

    A range scale maps θ from -3 to 3 linearly onto [min, max] (clipped); a normal scale reports
    mean + sd · θ.
    """
    kind = scale.get("kind")
    try:
        if kind == "range":
            low, high = float(scale["min"]), float(scale["max"])
            if not low < high:
                raise ItemValidationError("scale_order", "reporting_scale")
            return {"kind": "range", "min": low, "max": high, "theta_min": -3.0, "theta_max": 3.0}
        if kind == "normal":
            mean, sd = float(scale["mean"]), float(scale["sd"])
            if sd <= 0:
                raise ItemValidationError("scale_sd", "reporting_scale")
            return {"kind": "normal", "mean": mean, "sd": sd}
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ItemValidationError):
            raise
        raise ItemValidationError("scale_incomplete", "reporting_scale") from error
    raise ItemValidationError("scale_kind", "reporting_scale")


def check_scaled_threshold(spec: SectionSpec, delivery_mode: str, scale: Mapping[str, Any], field: str) -> None:
    """A threshold on the reporting scale belongs to adaptive sections only, never together with
    a raw one, and inside a range scale's [min, max]."""
    if spec.scaled_threshold is None:
        return
    if delivery_mode != "adaptive":
        raise ItemValidationError("scaled_threshold_adaptive_only", field)
    if spec.pass_threshold is not None:
        raise ItemValidationError("threshold_both", field)
    if scale.get("kind") == "range" and not scale["min"] <= spec.scaled_threshold <= scale["max"]:
        raise ItemValidationError("scaled_threshold_range", field)


def create_blueprint(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    time_limit_minutes: int,
    delivery_mode: str,
    reporting_scale: Mapping[str, Any],
    sections: list[SectionSpec],
    description: str | None = None,
) -> TestBlueprint:
    """Create a blueprint; sections must name existing, non-overlapping competencies."""
    if actor.role not in ("admin", "reviewer", "committee"):
        raise Refusal("item.role_not_allowed")
    code = (code or "").strip().upper()
    if not code or not (name or "").strip():
        raise ItemValidationError("blueprint_incomplete", "code")
    if session.scalar(select(TestBlueprint.id).where(TestBlueprint.code == code)) is not None:
        raise ItemValidationError("code_taken", "code")
    if delivery_mode not in DELIVERY_MODES:
        raise ItemValidationError("delivery_mode_unknown", "delivery_mode")
    if not isinstance(time_limit_minutes, int) or not 1 <= time_limit_minutes <= 600:
        raise ItemValidationError("time_limit_range", "time_limit_minutes")
    if not sections:
        raise ItemValidationError("sections_missing", "sections")
    covered: set[int] = set()
    blueprint = TestBlueprint(
        code=code,
        name=name.strip(),
        description=(description or "").strip() or None,
        time_limit_minutes=time_limit_minutes,
        delivery_mode=delivery_mode,
        reporting_scale=validate_scale(reporting_scale),
        created_by_id=actor.id,
    )
    for position, spec in enumerate(sections, start=1):
        competency = session.get(Competency, spec.competency_id)
        if competency is None:
            raise ItemValidationError("competency_unknown", f"section_{position}")
        subtree = set(descendant_ids(session, competency.id))
        if subtree & covered:
            raise ItemValidationError("sections_overlap", f"section_{position}")
        covered |= subtree
        if not 1 <= spec.item_count <= 500:
            raise ItemValidationError("item_count_range", f"section_{position}")
        if spec.scoring_rule not in SCORING_RULES:
            raise ItemValidationError("scoring_rule_unknown", f"section_{position}")
        if spec.pass_threshold is not None and spec.pass_threshold < 0:
            raise ItemValidationError("threshold_negative", f"section_{position}")
        check_scaled_threshold(spec, delivery_mode, blueprint.reporting_scale, f"section_{position}")
        blueprint.sections.append(
            BlueprintSection(
                position=position,
                competency=competency,
                title=(spec.title or competency.name).strip(),
                item_count=spec.item_count,
                scoring_rule=spec.scoring_rule,
                points_per_correct=spec.points_per_correct,
                pass_threshold=spec.pass_threshold,
                scaled_threshold=spec.scaled_threshold,
            )
        )
    session.add(blueprint)
    session.flush()
    return blueprint


def section_pool(session: Session, section: BlueprintSection) -> list[Item]:
    """The items of :func:`section_pool_entries` (the one rule of who is in a section's pool), as ORM
    objects with their parameters and versions loaded, in the same order."""
    ids = [entry.item_id for entry in section_pool_entries(session, section)]
    return list(
        session.scalars(
            select(Item)
            .where(Item.id.in_(ids))
            .options(selectinload(Item.parameters), selectinload(Item.versions))
            .order_by(Item.code)
        )
    )


@dataclass(frozen=True, slots=True)
class PoolEntry:
    """What drawing an item for a session needs of a pool member, without its ORM object graph:
    the item, its current version and how its options may be ordered."""

    item_id: int
    item_type: str
    shuffle_options: bool
    version_id: int
    option_count: int
    #: When the version was made: with its id, the key of what is rendered of it once per process.
    version_at: datetime


#: A version's option count, counted by the database (PostgreSQL's ``json`` and SQLite's JSON1 both
#: have ``json_array_length``): the draw needs the count, not the options' text.
_option_count = func.json_array_length(ItemVersion.options)

#: What each pool and form statement reads of an entry, in :class:`PoolEntry`'s field order.
_ENTRY_COLUMNS = (Item.id, Item.item_type, Item.shuffle_options, ItemVersion.id, _option_count, ItemVersion.created_at)


def _entry(item: int, kind: str, shuffle: bool, version: int, count: int, at: datetime) -> PoolEntry:
    """A :class:`PoolEntry` from the columns of :data:`_ENTRY_COLUMNS`."""
    return PoolEntry(item, kind, bool(shuffle), version, count, at)


def _pool_statement() -> Select[tuple[int, str, bool, int, int, datetime]]:
    subtree = select(Competency.id).where(Competency.id == bindparam("competency_id")).cte("subtree", recursive=True)
    subtree = subtree.union_all(select(Competency.id).where(Competency.parent_id == subtree.c.id))
    newest = (
        select(func.max(ItemVersion.number)).where(ItemVersion.item_id == Item.id).correlate(Item).scalar_subquery()
    )
    calibrated = select(ItemParameter.id).where(ItemParameter.item_id == Item.id, ItemParameter.is_current)
    return (
        select(*_ENTRY_COLUMNS)
        .join(ItemVersion, (ItemVersion.item_id == Item.id) & (ItemVersion.number == newest))
        .where(
            Item.competency_id.in_(select(subtree.c.id)),
            Item.status.in_(DELIVERABLE),
            calibrated.exists(),
        )
        .order_by(Item.code)
    )


#: Built once (a reused statement keeps its cache key); the competency's subtree is a recursive
#: CTE, so the pool is one statement. Parameter: ``competency_id``.
_POOL = _pool_statement()


def section_pool_entries(session: Session, section: BlueprintSection) -> list[PoolEntry]:
    """:func:`section_pool` as one Core statement: the same items (deliverable, with a current
    parameter, under the section's competency or one below it), in the same order (by code), each
    with its current version (the highest number). A random form's start draws from this."""
    rows = session.connection().execute(_POOL, {"competency_id": section.competency_id}).all()
    return [_entry(*row) for row in rows]


def _blueprint_pool_statement() -> Select[tuple[int, int, str, bool, int, int, datetime]]:
    # Each section's competency subtree, tagged with the section: one recursive CTE for them all.
    seeds = select(BlueprintSection.id.label("section_id"), BlueprintSection.competency_id.label("id")).where(
        BlueprintSection.blueprint_id == bindparam("blueprint_id")
    )
    subtree = seeds.cte("section_subtree", recursive=True)
    subtree = subtree.union_all(select(subtree.c.section_id, Competency.id).where(Competency.parent_id == subtree.c.id))
    newest = (
        select(func.max(ItemVersion.number)).where(ItemVersion.item_id == Item.id).correlate(Item).scalar_subquery()
    )
    calibrated = select(ItemParameter.id).where(ItemParameter.item_id == Item.id, ItemParameter.is_current)
    return (
        select(subtree.c.section_id, *_ENTRY_COLUMNS)
        .join(subtree, subtree.c.id == Item.competency_id)
        .join(ItemVersion, (ItemVersion.item_id == Item.id) & (ItemVersion.number == newest))
        .where(Item.status.in_(DELIVERABLE), calibrated.exists())
        .order_by(subtree.c.section_id, Item.code)
    )


#: Built once. Parameter: ``blueprint_id``.
_BLUEPRINT_POOL = _blueprint_pool_statement()


def blueprint_pool_entries(session: Session, blueprint_id: int) -> dict[int, list[PoolEntry]]:
    """:func:`section_pool_entries` of every section of a blueprint in one statement, by section id
    (a section with an empty pool is missing): what a random form's start draws from."""
    pools: dict[int, list[PoolEntry]] = {}
    # all(): one fetch of every row (iterating the result fetches them one at a time, a sixth of a
    # start's CPU for a pool of 160).
    for section_id, *entry in session.connection().execute(_BLUEPRINT_POOL, {"blueprint_id": blueprint_id}).all():
        pools.setdefault(section_id, []).append(_entry(*entry))
    return pools


def form_entries(session: Session, form_id: int) -> list[tuple[int, PoolEntry]]:
    """A fixed form's entries in position order as ``(section id, entry)``, in one Core statement
    (each at the version the form pins, not the item's current one)."""
    rows = session.execute(
        select(TestFormItem.section_id, *_ENTRY_COLUMNS)
        .join(Item, Item.id == TestFormItem.item_id)
        .join(ItemVersion, ItemVersion.id == TestFormItem.version_id)
        .where(TestFormItem.form_id == form_id)
        .order_by(TestFormItem.position)
    ).all()
    return [(section_id, _entry(*entry)) for section_id, *entry in rows]


def assemble_forms(
    session: Session,
    actor: Actor,
    blueprint: TestBlueprint,
    n_forms: int,
    *,
    time_limit: float = 5.0,
    node_limit: int | None = None,
) -> list[TestForm]:
    """Assemble ``n_forms`` parallel draft forms for a fixed-form blueprint, giving the solver
    ``time_limit`` seconds and, when given, ``node_limit`` nodes
    (:func:`itembank.assembly.assemble_parallel_forms`)."""
    if actor.role not in ("admin", "reviewer", "committee"):
        raise Refusal("item.role_not_allowed")
    pools = [section_pool(session, section) for section in blueprint.sections]
    items = [item for pool in pools for item in pool]
    section_of_item = np.concatenate(
        [np.full(len(pool), index) for index, pool in enumerate(pools)] or [np.zeros(0, int)]
    ).astype(int)
    counts = [section.item_count for section in blueprint.sections]
    if not items:
        raise Refusal("item.pool_too_small", section=0, needed=counts[0] * n_forms, available=0)
    # section_pool keeps only items with current parameters.
    parameters = [cast(ItemParameter, item.current_parameter) for item in items]
    information = information_matrix(parameters, ASSEMBLY_THETA)
    result = assemble_parallel_forms(
        information, section_of_item, counts, n_forms, time_limit=time_limit, node_limit=node_limit
    )
    existing = {form.code for form in blueprint.forms}
    forms = []
    for index, members in enumerate(result.forms):
        number = len(existing) + index + 1
        code = f"{blueprint.code}-F{number:02d}"
        form = TestForm(
            blueprint=blueprint,
            code=code,
            created_by_id=actor.id,
            assembly={
                "method": "milp-minimax",
                "theta": ASSEMBLY_THETA.tolist(),
                "target": np.round(result.target, 4).tolist(),
                "information": np.round(result.information[index], 4).tolist(),
                "max_deviation": round(result.max_deviation, 4),
                "proved_optimal": result.proved_optimal,
            },
        )
        for position, pool_index in enumerate(members, start=1):
            item = items[pool_index]
            form.entries.append(
                TestFormItem(
                    position=position,
                    section=blueprint.sections[section_of_item[pool_index]],
                    item=item,
                    version=item.current_version,
                )
            )
        session.add(form)
        forms.append(form)
    session.flush()
    return forms


def publish_form(actor: Actor, form: TestForm) -> None:
    """Freeze a draft form for delivery."""
    if actor.role not in ("admin", "reviewer", "committee"):
        raise Refusal("item.role_not_allowed")
    if form.status != "draft":
        raise Refusal("item.form_not_draft")
    form.status = "published"
