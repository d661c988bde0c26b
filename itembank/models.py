"""Tables of the item bank: competencies, items and their immutable versions, the workflow log,
assets, IRT parameter versions with their calibration runs, access logs, blueprints and forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship
from sqlalchemy.schema import DDL

from itembank.database import Base, UTCDateTime, one_of, utcnow

ITEM_STATUSES = ("draft", "in_review", "approved", "pilot", "operational", "retired")
ITEM_TYPES = ("single_choice", "weighted_options", "multiple_response", "true_false", "numeric")
IRT_MODELS = ("rasch", "1pl", "2pl", "3pl", "grm", "gpcm")
#: What happened to an item (``ItemEvent.action``): made, changed, each workflow transition, new parameters.
ITEM_ACTIONS = (
    "created", "imported", "edited", "submitted", "approved", "returned", "revised", "piloted", "operational",
    "retired", "parameters",
)  # fmt: skip
#: Where a calibration run's responses came from (``CalibrationRun.source``).
CALIBRATION_SOURCES = ("sessions", "upload", "import")
DELIVERY_MODES = ("fixed", "random", "adaptive")
SCORING_RULES = ("points_per_correct", "weighted_options")


class ImmutableRowError(RuntimeError):
    """Raised when code tries to change or delete a row that must never change."""


class Competency(Base):
    """A node of the competency taxonomy; items are tagged with a leaf."""

    __tablename__ = "competency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("competency.id", ondelete="RESTRICT"), index=True)
    #: Dotted code, stable across languages, e.g. ``SKD.TWK.PILAR``.
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[Competency | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Competency]] = relationship(
        back_populates="parent", order_by="Competency.sort_order, Competency.code"
    )


class Item(Base):
    """An item in the bank: its identity, type, competency and workflow status."""

    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint(one_of("status", ITEM_STATUSES), name="status_known"),
        CheckConstraint(one_of("item_type", ITEM_TYPES), name="type_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Human code shown to staff, e.g. ``TWK-001``; never shown to candidates.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="RESTRICT"), index=True)
    item_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: Whether the options are shown in a different order to each candidate.
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    competency: Mapped[Competency] = relationship()
    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="ItemVersion.number", cascade="save-update, merge"
    )
    events: Mapped[list[ItemEvent]] = relationship(
        back_populates="item", order_by="ItemEvent.id", cascade="save-update, merge"
    )
    parameters: Mapped[list[ItemParameter]] = relationship(
        back_populates="item", order_by="ItemParameter.id", cascade="save-update, merge"
    )

    @property
    def current_version(self) -> ItemVersion:
        return self.versions[-1]

    @property
    def current_parameter(self) -> ItemParameter | None:
        return next((p for p in reversed(self.parameters) if p.is_current), None)


class ItemVersion(Base):
    """One immutable state of an item's content and key. Every edit adds a version; responses
    point at the version the candidate saw."""

    __tablename__ = "item_version"
    __table_args__ = (
        UniqueConstraint("item_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: Sanitised HTML (see itembank.content).
    stem: Mapped[str] = mapped_column(Text)
    #: List of sanitised HTML strings, in authoring order (A, B, C, ...).
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The key in the item type's shape, e.g. {"correct": "B"} or {"weights": {...}}. Secret.
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Why this version was made ("koreksi kunci", "perbaikan bahasa", ...).
    note: Mapped[str | None] = mapped_column(String(500))

    item: Mapped[Item] = relationship(back_populates="versions")
    assets: Mapped[list[ItemAsset]] = relationship(secondary="item_version_asset", order_by="ItemAsset.id")


class ItemAsset(Base):
    """An image used in item content, stored once by its SHA-256 after type and size checks."""

    __tablename__ = "item_asset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: Text alternative for screen readers.
    alt_text: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ItemVersionAsset(Base):
    """Which images a version shows (versions are immutable, so is this link)."""

    __tablename__ = "item_version_asset"

    version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id", ondelete="RESTRICT"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("item_asset.id", ondelete="RESTRICT"), primary_key=True)


class ItemEvent(Base):
    """The item's history: creation, edits and every workflow transition, with who, when and why."""

    __tablename__ = "item_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: One of ITEM_ACTIONS.
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    version_number: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)

    item: Mapped[Item] = relationship(back_populates="events")


class ItemAccess(Base):
    """A look at confidential content: every view of an operational item, every exported item."""

    __tablename__ = "item_access"
    __table_args__ = (CheckConstraint("kind IN ('view', 'export')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))
    #: Address of the viewer, for investigating leaks.
    ip_address: Mapped[str | None] = mapped_column(String(45))


class CalibrationRun(Base):
    """One calibration of item parameters; publishing it makes its parameters current."""

    __tablename__ = "calibration_run"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'discarded')", name="status_known"),
        CheckConstraint("(status = 'published') = (published_at IS NOT NULL)", name="published_at_iff_published"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    #: Where the responses came from (CALIBRATION_SOURCES): sessions, upload, import (bank parameters).
    source: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(10))
    n_persons: Mapped[int] = mapped_column(Integer, default=0)
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    n_anchors: Mapped[int] = mapped_column(Integer, default=0)
    loglik: Mapped[float | None] = mapped_column(Float)
    aic: Mapped[float | None] = mapped_column(Float)
    bic: Mapped[float | None] = mapped_column(Float)
    iterations: Mapped[int | None] = mapped_column(Integer)
    converged: Mapped[bool | None] = mapped_column(Boolean)
    #: Warnings, drift flags and settings, for the review page.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    parameters: Mapped[list[ItemParameter]] = relationship(back_populates="run", order_by="ItemParameter.id")


class ItemParameter(Base):
    """One version of an item's IRT parameters (logistic metric, D = 1). Older versions are kept;
    scores record which version they used."""

    __tablename__ = "item_parameter"
    __table_args__ = (
        CheckConstraint(one_of("model", IRT_MODELS), name="model_known"),
        CheckConstraint("c IS NULL OR (c >= 0 AND c < 1)", name="c_range"),
        CheckConstraint(
            "(excluded_at IS NULL) = (excluded_reason IS NULL AND excluded_by_id IS NULL)",
            name="exclusion_complete",
        ),
        CheckConstraint("NOT (is_current AND excluded_at IS NOT NULL)", name="excluded_never_current"),
        Index("ix_item_parameter_item_id_is_current", "item_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_run.id", ondelete="RESTRICT"), index=True)
    #: The content version the parameters were estimated on.
    version_number: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(10))
    a: Mapped[float] = mapped_column(Float)
    b: Mapped[float | None] = mapped_column(Float)
    c: Mapped[float | None] = mapped_column(Float)
    #: Category thresholds of polytomous items (GRM/GPCM), else empty.
    thresholds: Mapped[list[float]] = mapped_column(JSON, default=list)
    se_a: Mapped[float | None] = mapped_column(Float)
    se_b: Mapped[float | None] = mapped_column(Float)
    se_c: Mapped[float | None] = mapped_column(Float)
    #: Whether this item was held at its bank values (an anchor) in the run.
    is_anchor: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Exactly one parameter row per item is current (kept by itembank.services).
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    n_responses: Mapped[int] = mapped_column(Integer, default=0)
    #: Classical statistics and fit from the run: p, point-biserial, distractors, S-X2 ...
    statistics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: A reviewer left this row out of its draft run (itembank.calibration.exclude_items): it is
    #: never published, and the item keeps its previous parameters. Reason, who and when.
    excluded_reason: Mapped[str | None] = mapped_column(Text)
    excluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    item: Mapped[Item] = relationship(back_populates="parameters")
    run: Mapped[CalibrationRun] = relationship(back_populates="parameters")


class TestBlueprint(Base):
    """What a test measures and how: counts per competency, time, delivery mode and scale."""

    __tablename__ = "test_blueprint"
    __table_args__ = (
        CheckConstraint(one_of("delivery_mode", DELIVERY_MODES), name="delivery_mode_known"),
        CheckConstraint("time_limit_minutes > 0", name="time_limit_positive"),
    )
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    delivery_mode: Mapped[str] = mapped_column(String(10), default="fixed")
    #: Linear reporting scale: {"kind": "range", "min": 0, "max": 100} or {"kind": "normal", ...}.
    reporting_scale: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sections: Mapped[list[BlueprintSection]] = relationship(
        back_populates="blueprint", order_by="BlueprintSection.position", cascade="all, delete-orphan"
    )
    forms: Mapped[list[TestForm]] = relationship(back_populates="blueprint", order_by="TestForm.id")

    @property
    def item_count(self) -> int:
        return sum(section.item_count for section in self.sections)


class BlueprintSection(Base):
    """A section of a blueprint: one competency, how many items, how scored, the pass mark."""

    __tablename__ = "blueprint_section"
    __table_args__ = (
        UniqueConstraint("blueprint_id", "position"),
        CheckConstraint("item_count > 0", name="item_count_positive"),
        CheckConstraint(one_of("scoring_rule", SCORING_RULES), name="scoring_rule_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("test_blueprint.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    item_count: Mapped[int] = mapped_column(Integer)
    scoring_rule: Mapped[str] = mapped_column(String(30), default="points_per_correct")
    #: Points for a correct answer under ``points_per_correct`` (5 in the national SKD).
    points_per_correct: Mapped[int] = mapped_column(Integer, default=5)
    #: Raw score needed to pass the section; None means no threshold. In an adaptive blueprint it
    #: is converted to θ through the section pool's test characteristic curve.
    pass_threshold: Mapped[float | None] = mapped_column(Float)
    #: Adaptive blueprints only: the score on the reporting scale of θ needed to pass the section.
    scaled_threshold: Mapped[float | None] = mapped_column(Float)

    blueprint: Mapped[TestBlueprint] = relationship(back_populates="sections")
    competency: Mapped[Competency] = relationship()


class TestForm(Base):
    """A fixed form assembled to a blueprint; its items are pinned to content versions."""

    __tablename__ = "test_form"
    __table_args__ = (
        UniqueConstraint("blueprint_id", "code"),
        CheckConstraint("status IN ('draft', 'published')", name="status_known"),
    )
    __test__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("test_blueprint.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: How it was assembled: method, θ points, target and achieved information.
    assembly: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    blueprint: Mapped[TestBlueprint] = relationship(back_populates="forms")
    entries: Mapped[list[TestFormItem]] = relationship(
        back_populates="form", order_by="TestFormItem.position", cascade="all, delete-orphan"
    )


class TestFormItem(Base):
    """One item of a form, in order, pinned to the content version candidates will see."""

    __tablename__ = "test_form_item"
    __table_args__ = (UniqueConstraint("form_id", "position"), UniqueConstraint("form_id", "item_id"))
    __test__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("test_form.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    section_id: Mapped[int] = mapped_column(ForeignKey("blueprint_section.id", ondelete="RESTRICT"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"))
    version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id", ondelete="RESTRICT"))

    form: Mapped[TestForm] = relationship(back_populates="entries")
    section: Mapped[BlueprintSection] = relationship()
    item: Mapped[Item] = relationship()
    version: Mapped[ItemVersion] = relationship()


@event.listens_for(ItemVersion, "before_update")
@event.listens_for(ItemEvent, "before_update")
@event.listens_for(ItemAccess, "before_update")
def _refuse_update(mapper: Mapper[Any], connection: Connection, target: Base) -> NoReturn:
    raise ImmutableRowError(f"{type(target).__name__} rows never change")


@event.listens_for(ItemVersion, "before_delete")
@event.listens_for(ItemEvent, "before_delete")
@event.listens_for(ItemAccess, "before_delete")
def _refuse_delete(mapper: Mapper[Any], connection: Connection, target: Base) -> NoReturn:
    raise ImmutableRowError(f"{type(target).__name__} rows are never deleted")


# The database refuses the same edits, so a raw UPDATE or DELETE (a console, a script, an attacker
# with the database password) fails too; migration b7e2c4d91a06 installs these on existing databases.

#: PostgreSQL: one trigger function raising integrity_constraint_violation for every table.
POSTGRESQL_REFUSE_FUNCTION = (
    "CREATE OR REPLACE FUNCTION refuse_immutable_row() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', "
    "MESSAGE = TG_TABLE_NAME || ' rows never change and are never deleted'; END $$"
)


def immutable_row_ddl(table: str, dialect: str) -> list[str]:
    """The statements that make ``table`` refuse UPDATE and DELETE on ``dialect``."""
    if dialect == "postgresql":
        return [
            POSTGRESQL_REFUSE_FUNCTION,
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_immutable_row()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows never change'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are never deleted'); END",
    ]


for _model in (ItemVersion, ItemEvent, ItemAccess):
    for _dialect in ("sqlite", "postgresql"):
        for _statement in immutable_row_ddl(_model.__tablename__, _dialect):
            # sqlalchemy 2.0 leaves DDL.__init__ unannotated.
            _ddl = DDL(_statement)  # type: ignore[no-untyped-call]
            event.listen(_model.__table__, "after_create", _ddl.execute_if(dialect=_dialect))
