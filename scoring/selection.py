"""Ranking rules of a civil-service selection: thresholds, shortlist, final score, appointment.

The defaults follow the national CPNS rules (PermenPANRB No. 27/2021 and its successors): a
basic competency test (SKD) with three sections (TWK national insight, TIU general intelligence,
TKP personal characteristics) and per-section passing thresholds that differ by applicant
category; a shortlist of three times the quota with everyone tied at the cut going through; a
final score of 40% basic test (normalised by its maximum) and 60% field test (SKB); a field score
in which the computer test weighs at least 50%, the interview at most 30% and other tests at most
20%; a fixed tie-break order; and vacant positions filled with the next-ranked eligible candidates
of equivalent positions. Every one of these is a field of :class:`SelectionRules`: the committee
sets the values of its period's decree, and the code applies them the same way to everyone.

Stages, in order::

    administrative pass/fail -> basic test thresholds -> shortlist -> final ranking -> appointment

Inputs are column arrays (persons are rows), so millions of applicants cost a few sorts:
:class:`Applicants` holds one array per attribute, :class:`Positions` one per position. Every
decision is taken by ``np.lexsort`` over the configured keys grouped by position; there is no
Python loop over applicants. The result does not depend on the order of the input rows: when two
applicants are equal on every configured key, the registration number (``applicant_id``,
ascending) decides, and :attr:`SelectionResult.tie_unresolved` flags them so the committee sees it.

Scores on a 0-100 scale (``score_decimals`` rounds them before ranking, so the published score is
the ranked score)::

    basic_score = 100 * basic_total / basic_maximum
    field_score = sum_c weight_c * 100 * field_c / maximum_c
    final_score = basic_weight * basic_score + field_weight * field_score
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from scoring.arrays import readonly

__all__ = [
    "Applicants",
    "FieldComponent",
    "NATIONAL_THRESHOLDS",
    "Positions",
    "Reason",
    "Section",
    "SelectionResult",
    "SelectionRuleError",
    "SelectionRules",
    "ShortlistRule",
    "Status",
    "ThresholdRule",
    "TieBreak",
    "WeightRule",
    "national_rules",
    "select",
    "shortlist",
]

#: Absolute tolerance when checking that weights add up to one.
WEIGHT_TOLERANCE = 1e-9
#: Kinds of field-test component and the weight bound each is held to.
COMPONENT_KINDS = ("computer", "interview", "other")
#: Bit of ``SelectionResult.reason`` for an applicant absent from the basic / field test.
ABSENT_BASIC = 1
ABSENT_FIELD = 2


class SelectionRuleError(ValueError):
    """A selection rule or an input array breaks a documented constraint.

    Parameters
    ----------
    code : str
        Stable identifier (``"weights_do_not_sum_to_one"``, ...) for the web layer to translate.
    message : str
        Plain English sentence, shown as is when no translation exists.
    **params
        Values quoted in the message (names, numbers), for the translated sentence.
    """

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class Status(enum.IntEnum):
    """Outcome of one applicant. The values are stable (stored and published): never renumber.

    ABSENT covers both tests; ``SelectionResult.reason`` says which one. INVALIDATED is an
    applicant whose basic-test session was invalidated by the proctors (a confirmed decision that
    stands): treated like a disqualification, without rank, not counted for the shortlist or the
    quota, so the next applicant moves up.
    """

    ADMIN_FAILED = 0
    ABSENT = 1
    BELOW_THRESHOLD = 2
    NOT_SHORTLISTED = 3
    SHORTLISTED = 4
    NOT_SELECTED = 5
    SELECTED = 6
    SELECTED_BY_FILLING = 7
    INVALIDATED = 8


# --------------------------------------------------------------------------- rules

#: Keys available to order applicants. ``section:<name>`` and ``field:<name>`` name one
#: section or component. Higher is better, except ``birth_date``: earlier (older) is better.
BASIC_KEYS = ("basic_total", "education", "birth_date")
FINAL_KEYS = ("final", "field")


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not name or ":" in name:
        raise SelectionRuleError("name_invalid", f"A {what} needs a non-empty name without ':'.", what=what)


def _check_order(order: tuple[str, ...], purpose: str) -> None:
    if not order:
        raise SelectionRuleError("order_empty", "An ordering needs at least one key.", purpose=purpose)
    allowed_plain = BASIC_KEYS + (FINAL_KEYS if purpose == "tie_break" else ())
    for key in order:
        kind, colon, name = key.partition(":") if isinstance(key, str) else ("", "", "")
        ok = (not colon and kind in allowed_plain) or (
            colon and name and (kind == "section" or (kind == "field" and purpose == "tie_break"))
        )
        if not ok:
            raise SelectionRuleError(
                "order_key_invalid",
                f"The key {key!r} cannot be used in the {purpose.replace('_', '-')} order.",
                key=key,
                purpose=purpose,
            )
    if len(set(order)) != len(order):
        raise SelectionRuleError(
            "order_key_repeated",
            f"A key appears twice in the {purpose.replace('_', '-')} order.",
            purpose=purpose,
        )


def _data_error(column: str, expected: str) -> SelectionRuleError:
    return SelectionRuleError("applicant_data_invalid", f"The column {column} must hold {expected}.", column=column)


@dataclass(frozen=True)
class Section:
    """A section of the basic test, e.g. ``Section("TWK", 150.0)``.

    Parameters
    ----------
    name : str
        Short name used in thresholds and tie-break keys (``"section:TWK"``).
    maximum : float
        Highest attainable score; the basic total is normalised by the sum of the maxima.
    """

    name: str
    maximum: float

    def __post_init__(self) -> None:
        _check_name(self.name, "section")
        if not (math.isfinite(self.maximum) and self.maximum > 0):
            raise SelectionRuleError(
                "section_maximum_invalid",
                f"The maximum score of section {self.name} must be a positive number.",
                section=self.name,
            )


@dataclass(frozen=True)
class ThresholdRule:
    """Passing thresholds of the basic test for one applicant category.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors) set a minimum per section
    for general applicants and different thresholds for special categories (cum laude,
    disability, Papua-origin, ...), which vary by period; set them from the period's decree.
    A score equal to the minimum passes.

    Parameters
    ----------
    category : str
        Name of the applicant category; its index in ``SelectionRules.thresholds`` is the
        category code used in :class:`Applicants`.
    minimums : mapping of str to float
        Minimum score per section name; sections left out have no minimum.
    total_minimum : float or None
        Minimum basic total (sum of sections), or None for none.
    """

    category: str
    minimums: Mapping[str, float] | tuple[tuple[str, float], ...] = ()
    total_minimum: float | None = None

    def __post_init__(self) -> None:
        _check_name(self.category, "category")
        pairs = tuple(self.minimums.items()) if isinstance(self.minimums, Mapping) else tuple(self.minimums)
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise SelectionRuleError(
                "threshold_section_repeated",
                f"A section is given two minimums for category {self.category}.",
                category=self.category,
            )
        for name, value in pairs:
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise SelectionRuleError(
                    "threshold_invalid",
                    f"The minimum for {name} in category {self.category} must be a number >= 0.",
                    category=self.category,
                    section=name,
                )
        if self.total_minimum is not None and not (math.isfinite(self.total_minimum) and self.total_minimum >= 0):
            raise SelectionRuleError(
                "threshold_invalid",
                f"The total minimum of category {self.category} must be a number >= 0.",
                category=self.category,
                section="total",
            )
        object.__setattr__(self, "minimums", tuple((str(n), float(v)) for n, v in pairs))

    def minimum_of(self, section: str) -> float | None:
        """The minimum for ``section``, or None when the section has none."""
        return dict(self.minimums).get(section)


#: Default categories (codes 0-3). General applicants: the per-section minimums published for
#: recent CPNS periods. The special categories start from the same values only as a placeholder:
#: their thresholds change between periods and must be set from the period's decree.
NATIONAL_THRESHOLDS = tuple(
    ThresholdRule(name, {"TWK": 65.0, "TIU": 80.0, "TKP": 166.0})
    for name in ("general", "cum_laude", "disability", "papua")
)


@dataclass(frozen=True)
class FieldComponent:
    """A component of the field test (SKB).

    Parameters
    ----------
    name : str
        Short name, used in tie-break keys (``"field:CAT"``).
    kind : {"computer", "interview", "other"}
        Which weight bound of :class:`WeightRule` the component counts towards.
    weight : float
        Share of the field score, in (0, 1]; the weights of all components add up to one.
    maximum : float
        Highest attainable score; the component is normalised to 0-100 by it.
    """

    name: str
    kind: str
    weight: float
    maximum: float = 100.0

    def __post_init__(self) -> None:
        _check_name(self.name, "field component")
        if self.kind not in COMPONENT_KINDS:
            raise SelectionRuleError(
                "component_kind_unknown",
                f"Field component {self.name} has kind {self.kind!r}; use computer, interview or other.",
                component=self.name,
                kind=self.kind,
            )
        if not (math.isfinite(self.weight) and 0 < self.weight <= 1):
            raise SelectionRuleError(
                "component_weight_invalid",
                f"The weight of field component {self.name} must be above 0 and at most 1.",
                component=self.name,
            )
        if not (math.isfinite(self.maximum) and self.maximum > 0):
            raise SelectionRuleError(
                "component_maximum_invalid",
                f"The maximum score of field component {self.name} must be a positive number.",
                component=self.name,
            )


@dataclass(frozen=True)
class WeightRule:
    """Weights of the final score and of the field score.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): final score = 40% basic
    test + 60% field test; within the field test the computer test weighs at least 50%, the
    interview at most 30% and other tests at most 20%. The bounds are fields too, so a period
    with different rules can change them; the component weights are checked against them.

    Parameters
    ----------
    basic : float
        Weight of the normalised basic total; ``basic + field == 1``.
    field : float
        Weight of the field score.
    components : tuple of FieldComponent
        Field-test components; their weights add up to one. Default: one computer test.
    min_computer, max_interview, max_other : float
        Bounds on the summed weights of the components of each kind.
    """

    basic: float = 0.4
    field: float = 0.6
    components: tuple[FieldComponent, ...] = (FieldComponent("CAT", "computer", 1.0),)
    min_computer: float = 0.5
    max_interview: float = 0.3
    max_other: float = 0.2

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", tuple(self.components))
        for name in ("basic", "field", "min_computer", "max_interview", "max_other"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
                raise SelectionRuleError(
                    "weight_out_of_range", f"The weight {name} must be between 0 and 1.", weight=name
                )
        if abs(self.basic + self.field - 1) > WEIGHT_TOLERANCE:
            raise SelectionRuleError(
                "weights_do_not_sum_to_one",
                "The basic-test and field-test weights must add up to 1.",
                part="final",
            )
        if not self.components:
            raise SelectionRuleError("components_missing", "The field test needs at least one component.")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise SelectionRuleError("component_repeated", "Two field components have the same name.")
        if abs(sum(c.weight for c in self.components) - 1) > WEIGHT_TOLERANCE:
            raise SelectionRuleError(
                "weights_do_not_sum_to_one",
                "The weights of the field-test components must add up to 1.",
                part="field",
            )
        share = {kind: sum(c.weight for c in self.components if c.kind == kind) for kind in COMPONENT_KINDS}
        if share["computer"] < self.min_computer - WEIGHT_TOLERANCE:
            raise SelectionRuleError(
                "computer_weight_too_low",
                f"The computer test must weigh at least {self.min_computer:.0%} of the field score.",
                bound=self.min_computer,
                weight=share["computer"],
            )
        if share["interview"] > self.max_interview + WEIGHT_TOLERANCE:
            raise SelectionRuleError(
                "interview_weight_too_high",
                f"The interview may weigh at most {self.max_interview:.0%} of the field score.",
                bound=self.max_interview,
                weight=share["interview"],
            )
        if share["other"] > self.max_other + WEIGHT_TOLERANCE:
            raise SelectionRuleError(
                "other_weight_too_high",
                f"Other field tests may weigh at most {self.max_other:.0%} of the field score.",
                bound=self.max_other,
                weight=share["other"],
            )


@dataclass(frozen=True)
class ShortlistRule:
    """Who goes on from the basic test to the field test.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): per position, the best
    ``multiple`` times the quota among those who passed the thresholds, and everyone tied with
    the last of them on all ``order`` keys goes through as well.

    Parameters
    ----------
    multiple : int
        Shortlist size as a multiple of the position's quota (>= 1).
    order : tuple of str
        Keys, most important first, from ``basic_total``, ``section:<name>``, ``education``,
        ``birth_date``. Applicants equal on all of them are tied.
    """

    multiple: int = 3
    order: tuple[str, ...] = ("basic_total", "section:TKP", "section:TIU", "section:TWK")

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", tuple(self.order))
        if isinstance(self.multiple, bool) or not isinstance(self.multiple, int) or self.multiple < 1:
            raise SelectionRuleError(
                "shortlist_multiple_invalid", "The shortlist multiple must be a whole number of at least 1."
            )
        _check_order(self.order, "shortlist")


@dataclass(frozen=True)
class TieBreak:
    """Order of the final ranking, most important key first.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): final score, basic total,
    then personal characteristics (TKP), general intelligence (TIU), national insight (TWK),
    then education score, then the older candidate (earlier birth date).

    Parameters
    ----------
    order : tuple of str
        Keys from ``final``, ``field``, ``basic_total``, ``section:<name>``, ``field:<name>``,
        ``education``, ``birth_date``. After them, the registration number (ascending) orders
        applicants equal on all keys; :attr:`SelectionResult.tie_unresolved` marks them.
    """

    order: tuple[str, ...] = (
        "final",
        "basic_total",
        "section:TKP",
        "section:TIU",
        "section:TWK",
        "education",
        "birth_date",
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", tuple(self.order))
        _check_order(self.order, "tie_break")


@dataclass(frozen=True)
class SelectionRules:
    """Every rule of a selection period, validated on construction.

    Parameters
    ----------
    sections : tuple of Section
        Sections of the basic test, in the column order of ``Applicants.basic_scores``.
    thresholds : tuple of ThresholdRule
        One per applicant category; the index is the category code of :class:`Applicants`.
        Default :data:`NATIONAL_THRESHOLDS` (general, cum_laude, disability, papua).
    weights : WeightRule
        Final-score and field-score weights; components in the column order of
        ``Applicants.field_scores``.
    shortlist : ShortlistRule
        Shortlist multiple and the order deciding ties at the cut.
    tie_break : TieBreak
        Order of the final ranking.
    fill_vacancies : bool
        Fill seats left empty with the next-ranked candidates of equivalent positions.
    score_decimals : int or None
        Decimals the field and final scores are rounded to before ranking (the published
        precision); None keeps full floating-point precision, where ties between equal scores
        reached through different sums can be broken by rounding noise.
    """

    sections: tuple[Section, ...] = (Section("TWK", 150.0), Section("TIU", 175.0), Section("TKP", 225.0))
    thresholds: tuple[ThresholdRule, ...] = NATIONAL_THRESHOLDS
    weights: WeightRule = field(default_factory=WeightRule)
    shortlist: ShortlistRule = field(default_factory=ShortlistRule)
    tie_break: TieBreak = field(default_factory=TieBreak)
    fill_vacancies: bool = True
    score_decimals: int | None = 6

    def __post_init__(self) -> None:
        object.__setattr__(self, "sections", tuple(self.sections))
        object.__setattr__(self, "thresholds", tuple(self.thresholds))
        if not self.sections:
            raise SelectionRuleError("sections_missing", "The basic test needs at least one section.")
        if len(self.sections) > 30:
            raise SelectionRuleError("too_many_sections", "The basic test may have at most 30 sections.")
        names = [s.name for s in self.sections]
        if len(set(names)) != len(names):
            raise SelectionRuleError("section_repeated", "Two sections have the same name.")
        if not self.thresholds:
            raise SelectionRuleError("categories_missing", "At least one applicant category is needed.")
        categories = [t.category for t in self.thresholds]
        if len(set(categories)) != len(categories):
            raise SelectionRuleError("category_repeated", "Two applicant categories have the same name.")
        maxima = {s.name: s.maximum for s in self.sections}
        for rule in self.thresholds:
            for name, value in rule.minimums:
                if name not in maxima:
                    raise SelectionRuleError(
                        "threshold_section_unknown",
                        f"Category {rule.category} has a minimum for {name}, which is not a section.",
                        category=rule.category,
                        section=name,
                    )
                if value > maxima[name]:
                    raise SelectionRuleError(
                        "threshold_above_maximum",
                        f"The minimum for {name} in category {rule.category} is above the maximum score.",
                        category=rule.category,
                        section=name,
                    )
            if rule.total_minimum is not None and rule.total_minimum > self.basic_maximum:
                raise SelectionRuleError(
                    "threshold_above_maximum",
                    f"The total minimum of category {rule.category} is above the maximum score.",
                    category=rule.category,
                    section="total",
                )
        components = {c.name for c in self.weights.components}
        for purpose, order in (("shortlist", self.shortlist.order), ("tie_break", self.tie_break.order)):
            for key in order:
                kind, _, name = key.partition(":")
                if kind == "section" and name not in maxima:
                    raise SelectionRuleError(
                        "order_key_unknown", f"The key {key} names no section.", key=key, purpose=purpose
                    )
                if kind == "field" and name and name not in components:
                    raise SelectionRuleError(
                        "order_key_unknown",
                        f"The key {key} names no field component.",
                        key=key,
                        purpose=purpose,
                    )
        if not isinstance(self.fill_vacancies, bool):
            raise SelectionRuleError("fill_vacancies_invalid", "fill_vacancies must be true or false.")
        if self.score_decimals is not None and (
            isinstance(self.score_decimals, bool)
            or not isinstance(self.score_decimals, int)
            or not 0 <= self.score_decimals <= 12
        ):
            raise SelectionRuleError(
                "score_decimals_invalid", "score_decimals must be a whole number from 0 to 12, or empty."
            )

    @property
    def basic_maximum(self) -> float:
        """Highest attainable basic total: the sum of the section maxima."""
        return float(sum(s.maximum for s in self.sections))

    def category_code(self, category: str) -> int:
        """The code of ``category`` in :class:`Applicants` (its index in ``thresholds``)."""
        for code, rule in enumerate(self.thresholds):
            if rule.category == category:
                return code
        raise SelectionRuleError(
            "category_unknown", f"There is no applicant category named {category}.", category=category
        )


def national_rules(
    thresholds: Iterable[ThresholdRule] | None = None,
    components: Iterable[FieldComponent] | None = None,
    **overrides: object,
) -> SelectionRules:
    """Selection rules with the structure of the national CPNS rules (``SelectionRules()``).

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): SKD sections TWK, TIU and
    TKP (maxima 150, 175 and 225: 30, 35 and 45 items of at most 5 points), per-section minimums
    for general applicants of TWK 65, TIU 80, TKP 166 as published for recent periods,
    shortlist of 3x the quota, final score 40% SKD + 60% SKB, and the national tie-break order.
    Thresholds for special categories (cum laude, disability, Papua-origin, ...) change between
    periods: when ``thresholds`` is None those categories get the general thresholds, and the
    committee must replace them with the values of its period's decree.

    Parameters
    ----------
    thresholds : iterable of ThresholdRule, optional
        Replaces the default categories (general, cum_laude, disability, papua).
    components : iterable of FieldComponent, optional
        Field-test components (default: one computer test with weight 1).
    **overrides
        Any other field of :class:`SelectionRules`.

    Returns
    -------
    SelectionRules
    """
    if thresholds is None:
        thresholds = NATIONAL_THRESHOLDS
    weights = WeightRule(components=tuple(components)) if components is not None else WeightRule()
    return SelectionRules(thresholds=tuple(thresholds), weights=weights, **overrides)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class Applicants:
    """Applicants as column arrays; row ``i`` of every array is applicant ``i``.

    Parameters
    ----------
    applicant_id : ndarray of int, shape (n,)
        Registration numbers, unique; the last tie-break (ascending).
    position : ndarray of int, shape (n,)
        Index of the applied position in :class:`Positions`, 0..n_positions-1.
    category : ndarray of int, shape (n,)
        Category code: index into ``SelectionRules.thresholds``.
    basic_scores : ndarray of float, shape (n, n_sections)
        Basic-test section scores in the order of ``SelectionRules.sections``; a NaN anywhere in
        a row means the applicant did not sit the basic test.
    education : ndarray of float, shape (n,)
        Education score (e.g. the grade point average), a tie-break key; finite.
    birth_date : ndarray of int, shape (n,)
        Birth date as days since an epoch of your choice (e.g. 1970-01-01); earlier is older.
    admin_passed : ndarray of bool, shape (n,)
        Passed the administrative verification.
    field_scores : ndarray of float, shape (n, n_components), optional
        Field-test component scores in the order of ``WeightRule.components``; a NaN anywhere
        in a row means the applicant did not sit the field test. Needed only by :func:`select`.
    invalidated : ndarray of bool, shape (n,), optional
        The basic-test session was invalidated (its score may not be used); default none.
        An administratively passed applicant so marked gets status INVALIDATED whatever the
        scores, and a NaN ``basic_total``.
    """

    applicant_id: np.ndarray
    position: np.ndarray
    category: np.ndarray
    basic_scores: np.ndarray
    education: np.ndarray
    birth_date: np.ndarray
    admin_passed: np.ndarray
    field_scores: np.ndarray | None = None
    invalidated: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.applicant_id)
        n = ids.shape[0] if ids.ndim == 1 else -1
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise _data_error("applicant_id", "a one-dimensional array of whole numbers")
        columns = {
            "position": (np.asarray(self.position), "integer", 1),
            "category": (np.asarray(self.category), "integer", 1),
            "basic_scores": (np.asarray(self.basic_scores, dtype=np.float64), "float", 2),
            "education": (np.asarray(self.education, dtype=np.float64), "float", 1),
            "birth_date": (np.asarray(self.birth_date), "integer", 1),
            "admin_passed": (np.asarray(self.admin_passed), "bool", 1),
        }
        if self.field_scores is not None:
            columns["field_scores"] = (np.asarray(self.field_scores, dtype=np.float64), "float", 2)
        invalidated = np.zeros(max(n, 0), dtype=bool) if self.invalidated is None else self.invalidated
        columns["invalidated"] = (np.asarray(invalidated), "bool", 1)
        for name, (array, kind, ndim) in columns.items():
            if array.ndim != ndim or array.shape[0] != n:
                raise SelectionRuleError(
                    "applicant_shape_mismatch",
                    f"Applicants.{name} must have {n} rows like applicant_id.",
                    column=name,
                )
            if kind == "integer" and not np.issubdtype(array.dtype, np.integer):
                raise _data_error(name, "whole numbers")
            if kind == "bool" and array.dtype != np.bool_:
                raise _data_error(name, "true/false values")
            object.__setattr__(self, name, array)
        object.__setattr__(self, "applicant_id", ids)
        if not np.isfinite(self.education).all():
            raise _data_error("education", "finite numbers")

    def __len__(self) -> int:
        return int(self.applicant_id.shape[0])


@dataclass(frozen=True, eq=False)
class Positions:
    """Positions (formasi) as column arrays; row ``p`` is position ``p``.

    Parameters
    ----------
    quota : ndarray of int, shape (n_positions,)
        Seats of each position, >= 0.
    group : ndarray of int, shape (n_positions,), optional
        Equivalence group: positions with the same non-negative label are equivalent, and their
        unselected candidates may fill each other's vacant seats; -1 (default) is no group.
    priority : ndarray of int, shape (n_positions,), optional
        Order in which vacant seats of a group are offered (lower first, then lower position
        index); default all equal, i.e. position-index order.
    """

    quota: np.ndarray
    group: np.ndarray | None = None
    priority: np.ndarray | None = None

    def __post_init__(self) -> None:
        quota = np.asarray(self.quota)
        if quota.ndim != 1 or not np.issubdtype(quota.dtype, np.integer):
            raise _data_error("quota", "a one-dimensional array of whole numbers")
        if (quota < 0).any():
            raise _data_error("quota", "numbers of at least 0")
        object.__setattr__(self, "quota", quota.astype(np.int64, copy=False))
        for name in ("group", "priority"):
            value = getattr(self, name)
            array = (
                np.full(quota.shape, -1 if name == "group" else 0, dtype=np.int64)
                if value is None
                else np.asarray(value)
            )
            if array.shape != quota.shape or not np.issubdtype(array.dtype, np.integer):
                raise SelectionRuleError(
                    "position_shape_mismatch",
                    f"Positions.{name} must be whole numbers, one per position.",
                    column=name,
                )
            object.__setattr__(self, name, array)
        if (self.group < -1).any():
            raise _data_error("group", "group labels of at least 0, or -1 for no group")

    def __len__(self) -> int:
        return int(self.quota.shape[0])


@dataclass(frozen=True)
class Reason:
    """Why an applicant has their status, as data for an announcement.

    Parameters
    ----------
    code : str
        The status name (``"BELOW_THRESHOLD"``, ...), stable for translation.
    params : tuple of (str, object) pairs
        E.g. ``(("failed", ("TWK", "total")),)`` or ``(("rank", 4),)``.
    """

    code: str
    params: tuple[tuple[str, object], ...] = ()

    def get(self, name: str, default: object = None) -> object:
        """The parameter ``name``, or ``default``."""
        return dict(self.params).get(name, default)


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """Outcome of a selection; arrays are read-only and aligned with the input rows.

    Attributes
    ----------
    status : ndarray of int8, shape (n,)
        :class:`Status` value of each applicant.
    reason : ndarray of int32, shape (n,)
        For BELOW_THRESHOLD, a bit mask of the failed thresholds: bit ``s`` for section ``s``,
        bit ``n_sections`` for the total. For ABSENT, 1 (basic test) or 2 (field test). Else 0.
    basic_total : ndarray of float64, shape (n,)
        Sum of the basic-test sections (NaN when absent or invalidated).
    shortlist_rank : ndarray of int32, shape (n,)
        Competition rank (1, 2, 2, 4) within the position among applicants who passed the
        thresholds, by the shortlist order; 0 when not ranked.
    field_score, final_score : ndarray of float64, shape (n,)
        Scores on 0-100 for shortlisted applicants who sat the field test; NaN otherwise.
    rank : ndarray of int32, shape (n,)
        Final rank within the applied position (1 = best, ties broken to the end); 0 = unranked.
    appointed_position : ndarray of int64, shape (n,)
        Position the applicant is appointed to (own position, or another one by filling); -1.
    tie_unresolved : ndarray of bool, shape (n,)
        Equal to a neighbour of the final ranking on every tie-break key, so only the
        registration number ordered them.
    quota, filled, filled_by_filling, shortlisted : ndarray of int64, shape (n_positions,)
        Seats; seats taken (by own candidates and by filling); seats taken by filling;
        applicants shortlisted.
    rules : SelectionRules
        The rules that produced this result.
    """

    status: np.ndarray
    reason: np.ndarray
    basic_total: np.ndarray
    shortlist_rank: np.ndarray
    field_score: np.ndarray
    final_score: np.ndarray
    rank: np.ndarray
    appointed_position: np.ndarray
    tie_unresolved: np.ndarray
    quota: np.ndarray
    filled: np.ndarray
    filled_by_filling: np.ndarray
    shortlisted: np.ndarray
    rules: SelectionRules

    @property
    def vacant(self) -> np.ndarray:
        """Seats left empty per position, shape (n_positions,)."""
        return self.quota - self.filled

    def reason_of(self, index: int) -> Reason:
        """The announcement reason of applicant ``index`` (a row of the input).

        Parameters
        ----------
        index : int
            Row of the applicant in :class:`Applicants`.

        Returns
        -------
        Reason
            BELOW_THRESHOLD names the failed thresholds (section names and ``"total"``);
            ABSENT names the test (``"basic"`` or ``"field"``); NOT_SHORTLISTED and
            SHORTLISTED give ``shortlist_rank``; NOT_SELECTED and SELECTED give ``rank``;
            SELECTED_BY_FILLING gives ``rank`` and ``appointed_position``.
        """
        status = Status(int(self.status[index]))
        bits = int(self.reason[index])
        if status is Status.BELOW_THRESHOLD:
            names = [s.name for s in self.rules.sections] + ["total"]
            failed = tuple(name for bit, name in enumerate(names) if bits >> bit & 1)
            return Reason(status.name, (("failed", failed),))
        if status is Status.ABSENT:
            return Reason(status.name, (("test", "basic" if bits == ABSENT_BASIC else "field"),))
        if status in (Status.NOT_SHORTLISTED, Status.SHORTLISTED):
            return Reason(status.name, (("shortlist_rank", int(self.shortlist_rank[index])),))
        if status is Status.SELECTED_BY_FILLING:
            return Reason(
                status.name,
                (
                    ("rank", int(self.rank[index])),
                    ("appointed_position", int(self.appointed_position[index])),
                ),
            )
        if status in (Status.NOT_SELECTED, Status.SELECTED):
            return Reason(status.name, (("rank", int(self.rank[index])),))
        return Reason(status.name)


# --------------------------------------------------------------------------- stages


def shortlist(
    applicants: Applicants,
    positions: Positions,
    rules: SelectionRules,
    *,
    progress: Callable[[str], None] | None = None,
) -> SelectionResult:
    """Run the stages up to the shortlist: administrative check, thresholds, shortlist.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): applicants who passed the
    administrative verification and every basic-test threshold of their category are ranked per
    position; the best ``multiple * quota`` go on to the field test, together with everyone tied
    with the last of them on all keys of ``rules.shortlist.order``.

    Parameters
    ----------
    applicants : Applicants
        n applicants; ``field_scores`` is not needed.
    positions : Positions
        n_positions positions.
    rules : SelectionRules
    progress : callable, optional
        Called with the name of each phase as it ends (for logging and benchmarks).

    Returns
    -------
    SelectionResult
        Status ADMIN_FAILED, ABSENT, BELOW_THRESHOLD, NOT_SHORTLISTED or SHORTLISTED; final
        scores are NaN, ranks 0.
    """
    return _run(applicants, positions, rules, final=False, progress=progress)


def select(
    applicants: Applicants,
    positions: Positions,
    rules: SelectionRules,
    *,
    progress: Callable[[str], None] | None = None,
) -> SelectionResult:
    """Run every stage: administrative check, thresholds, shortlist, final ranking, appointment.

    National CPNS rules (PermenPANRB No. 27/2021 and its successors): after :func:`shortlist`,
    shortlisted applicants who sat the field test get ``final = basic_weight * 100 *
    basic_total / basic_maximum + field_weight * field_score`` and are ranked per position by
    ``rules.tie_break.order`` (then registration number); the first ``quota`` are SELECTED.
    When ``rules.fill_vacancies`` is set, seats still empty in a position of an equivalence
    group go to the group's NOT_SELECTED applicants, best first by the same order across the
    group, seats offered by ``(priority, position index)``; they become SELECTED_BY_FILLING.

    Parameters
    ----------
    applicants : Applicants
        n applicants, with ``field_scores`` of shape (n, n_components).
    positions : Positions
        n_positions positions.
    rules : SelectionRules
    progress : callable, optional
        Called with the name of each phase as it ends (for logging and benchmarks).

    Returns
    -------
    SelectionResult
    """
    return _run(applicants, positions, rules, final=True, progress=progress)


# --------------------------------------------------------------------------- internals


def _check_consistency(applicants: Applicants, positions: Positions, rules: SelectionRules, final: bool) -> None:
    n_sections = len(rules.sections)
    if applicants.basic_scores.shape[1] != n_sections:
        raise SelectionRuleError(
            "applicant_shape_mismatch",
            f"basic_scores must have one column per section ({n_sections}).",
            column="basic_scores",
        )
    n = len(applicants)
    if n == 0:
        return
    if applicants.position.min() < 0 or applicants.position.max() >= len(positions):
        raise _data_error("position", f"position indexes from 0 to {len(positions) - 1}")
    if applicants.category.min() < 0 or applicants.category.max() >= len(rules.thresholds):
        raise _data_error("category", f"category codes from 0 to {len(rules.thresholds) - 1}")
    ids = np.sort(applicants.applicant_id)
    if (ids[1:] == ids[:-1]).any():
        raise SelectionRuleError(
            "applicant_id_repeated",
            "Two applicants have the same registration number.",
            column="applicant_id",
        )
    maxima = np.array([s.maximum for s in rules.sections])
    scores = applicants.basic_scores
    if ((scores < 0) | (scores > maxima)).any():
        raise _data_error("basic_scores", "scores between 0 and the section maximum (or NaN if absent)")
    if final and applicants.field_scores is not None:
        components = rules.weights.components
        if applicants.field_scores.shape[1] != len(components):
            raise SelectionRuleError(
                "applicant_shape_mismatch",
                f"field_scores must have one column per field component ({len(components)}).",
                column="field_scores",
            )
        cmax = np.array([c.maximum for c in components])
        if ((applicants.field_scores < 0) | (applicants.field_scores > cmax)).any():
            raise _data_error("field_scores", "scores between 0 and the component maximum (or NaN if absent)")


class _Keys:
    """Sort keys of a subset of applicants, computed on demand and cached."""

    def __init__(self, applicants: Applicants, rules: SelectionRules, rows: np.ndarray, **extra: np.ndarray):
        self.applicants = applicants
        self.rules = rules
        self.rows = rows
        self.cache: dict[str, np.ndarray] = dict(extra)
        self.section_index = {s.name: i for i, s in enumerate(rules.sections)}
        self.component_index = {c.name: i for i, c in enumerate(rules.weights.components)}

    def ascending(self, key: str) -> np.ndarray:
        """The key as an array where smaller sorts first (better)."""
        kind, _, name = key.partition(":")
        a = self.applicants
        if key in self.cache:
            values = self.cache[key]
        elif kind == "section":
            values = a.basic_scores[self.rows, self.section_index[name]]
        elif kind == "field" and name:
            values = a.field_scores[self.rows, self.component_index[name]]  # type: ignore[index]
        elif key == "education":
            values = a.education[self.rows]
        elif key == "birth_date":
            return a.birth_date[self.rows]  # earlier (smaller) is better
        else:  # pragma: no cover - keys are validated by the rules
            raise KeyError(key)
        return -values

    def subset(self, mask: np.ndarray) -> _Keys:
        """The keys of ``self.rows[mask]``, reusing the computed ones."""
        cached = {key: values[mask] for key, values in self.cache.items()}
        return _Keys(self.applicants, self.rules, self.rows[mask], **cached)

    def order(self, group: np.ndarray, order: tuple[str, ...], ids: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Permutation sorting by ``group``, then ``order``, then ``ids``; and the sorted keys."""
        keys = [self.ascending(key) for key in order]
        permutation = np.lexsort([ids, *reversed(keys), group])
        return permutation, [k[permutation] for k in keys]


def _runs(sorted_group: np.ndarray, sorted_keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Start index of each row's group and of its run of rows equal on all keys, shape (m,)."""
    m = sorted_group.shape[0]
    index = np.arange(m)
    new_group = np.ones(m, dtype=bool)
    np.not_equal(sorted_group[1:], sorted_group[:-1], out=new_group[1:])
    new_run = new_group.copy()
    for key in sorted_keys:
        new_run[1:] |= key[1:] != key[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, index, 0))
    run_start = np.maximum.accumulate(np.where(new_run, index, 0))
    return group_start, run_start


class _Outcome:
    """The output arrays of a selection, written stage by stage."""

    def __init__(self, n: int, quota: np.ndarray) -> None:
        self.status = np.full(n, Status.ADMIN_FAILED, dtype=np.int8)
        self.reason = np.zeros(n, dtype=np.int32)
        self.shortlist_rank = np.zeros(n, dtype=np.int32)
        self.rank = np.zeros(n, dtype=np.int32)
        self.field_score = np.full(n, np.nan)
        self.final_score = np.full(n, np.nan)
        self.appointed = np.full(n, -1, dtype=np.int64)
        self.tie_unresolved = np.zeros(n, dtype=bool)
        self.quota = quota.copy()
        self.filled = np.zeros(quota.shape, dtype=np.int64)
        self.filled_by_filling = np.zeros(quota.shape, dtype=np.int64)
        self.shortlisted = np.zeros(quota.shape, dtype=np.int64)

    def result(self, basic_total: np.ndarray, rules: SelectionRules) -> SelectionResult:
        return SelectionResult(
            status=readonly(self.status),
            reason=readonly(self.reason),
            basic_total=readonly(basic_total),
            shortlist_rank=readonly(self.shortlist_rank),
            field_score=readonly(self.field_score),
            final_score=readonly(self.final_score),
            rank=readonly(self.rank),
            appointed_position=readonly(self.appointed),
            tie_unresolved=readonly(self.tie_unresolved),
            quota=readonly(self.quota),
            filled=readonly(self.filled),
            filled_by_filling=readonly(self.filled_by_filling),
            shortlisted=readonly(self.shortlisted),
            rules=rules,
        )


def _run(
    applicants: Applicants,
    positions: Positions,
    rules: SelectionRules,
    *,
    final: bool,
    progress: Callable[[str], None] | None,
) -> SelectionResult:
    tick = progress or (lambda phase: None)
    _check_consistency(applicants, positions, rules, final)
    a = applicants
    quota = positions.quota
    n_sections = len(rules.sections)
    out = _Outcome(len(a), quota)
    tick("validate")

    # Administrative check and basic-test thresholds, by category.
    # Column by column, so each row's sum is computed the same way wherever the row sits.
    basic_total = a.basic_scores[:, 0].copy()
    for s in range(1, n_sections):
        basic_total += a.basic_scores[:, s]
    invalidated = a.invalidated & a.admin_passed
    out.status[invalidated] = Status.INVALIDATED
    basic_total[invalidated] = np.nan
    absent = np.isnan(basic_total) & a.admin_passed & ~invalidated
    out.status[absent] = Status.ABSENT
    out.reason[absent] = ABSENT_BASIC
    present = a.admin_passed & ~absent & ~invalidated
    for s, section in enumerate(rules.sections):
        minimum = np.array([t.minimum_of(section.name) or 0.0 for t in rules.thresholds])
        failed = a.basic_scores[:, s] < minimum[a.category]
        out.reason[failed & present] |= 1 << s
    total_minimum = np.array([t.total_minimum or 0.0 for t in rules.thresholds])
    out.reason[(basic_total < total_minimum[a.category]) & present] |= 1 << n_sections
    out.status[present & (out.reason != 0)] = Status.BELOW_THRESHOLD
    passed = np.flatnonzero(present & (out.reason == 0))
    tick("thresholds")

    # Shortlist: per position, competition rank by the shortlist order; a run of ties that
    # starts inside the cut goes through whole.
    keys = _Keys(a, rules, passed, basic_total=basic_total[passed])
    group = a.position[passed]
    perm, sorted_keys = keys.order(group, rules.shortlist.order, a.applicant_id[passed])
    rows = passed[perm]
    sorted_position = group[perm]
    group_start, run_start = _runs(sorted_position, sorted_keys)
    competition = run_start - group_start
    is_short = competition < rules.shortlist.multiple * quota[sorted_position]
    out.shortlist_rank[rows] = competition + 1
    out.status[rows] = np.where(is_short, Status.SHORTLISTED, Status.NOT_SHORTLISTED)
    out.shortlisted += np.bincount(sorted_position[is_short], minlength=quota.shape[0])
    del keys, perm, sorted_keys, group_start, run_start, competition
    tick("shortlist")

    short_rows = rows[is_short]
    if final and short_rows.size:
        if a.field_scores is None:
            raise SelectionRuleError(
                "field_scores_missing", "Field-test scores are needed to rank the shortlisted applicants."
            )
        _final_stage(a, positions, rules, short_rows, basic_total, out, tick)
    return out.result(basic_total, rules)


def _final_stage(
    a: Applicants,
    positions: Positions,
    rules: SelectionRules,
    short_rows: np.ndarray,
    basic_total: np.ndarray,
    out: _Outcome,
    tick: Callable[[str], None],
) -> None:
    """Final scores, final ranking and vacancy filling of the shortlisted ``short_rows``."""
    weights = rules.weights
    quota = positions.quota
    scores = a.field_scores[short_rows]  # type: ignore[index]
    field = np.zeros(short_rows.shape[0])
    for c, component in enumerate(weights.components):
        field += scores[:, c] * (100.0 * component.weight / component.maximum)
    sat = ~np.isnan(field)
    absent_rows = short_rows[~sat]
    out.status[absent_rows] = Status.ABSENT
    out.reason[absent_rows] = ABSENT_FIELD
    ranked = short_rows[sat]
    field = field[sat]
    final = weights.basic * 100.0 * basic_total[ranked] / rules.basic_maximum + weights.field * field
    if rules.score_decimals is not None:
        field = np.round(field, rules.score_decimals)
        final = np.round(final, rules.score_decimals)
    out.field_score[ranked] = field
    out.final_score[ranked] = final

    # Final ranking per position: ordinal rank by the tie-break order, then registration number.
    keys = _Keys(a, rules, ranked, basic_total=basic_total[ranked], final=final, field=field)
    group = a.position[ranked]
    perm, sorted_keys = keys.order(group, rules.tie_break.order, a.applicant_id[ranked])
    rows = ranked[perm]
    sorted_position = group[perm]
    group_start, run_start = _runs(sorted_position, sorted_keys)
    index = np.arange(rows.shape[0])
    within = index - group_start
    is_selected = within < quota[sorted_position]
    out.rank[rows] = within + 1
    out.status[rows] = np.where(is_selected, Status.SELECTED, Status.NOT_SELECTED)
    out.appointed[rows[is_selected]] = sorted_position[is_selected]
    tied_with_previous = run_start != index
    tied = tied_with_previous.copy()
    tied[:-1] |= tied_with_previous[1:]
    out.tie_unresolved[rows] = tied
    out.filled += np.bincount(sorted_position[is_selected], minlength=quota.shape[0])
    tick("final ranking")

    if rules.fill_vacancies:
        # ``is_selected`` follows the sorted ``rows``; the key arrays follow ``ranked``.
        waiting = np.empty(ranked.shape[0], dtype=bool)
        waiting[perm] = ~is_selected
        _fill(a, positions, rules, keys.subset(waiting), ranked[waiting], out)
    tick("vacancy filling")


def _fill(
    a: Applicants,
    positions: Positions,
    rules: SelectionRules,
    keys: _Keys,
    waiting: np.ndarray,
    out: _Outcome,
) -> None:
    """Give vacant seats of each equivalence group to the group's ``waiting`` rows, best first."""
    labels = positions.group
    vacancy = positions.quota - out.filled
    grouped = labels >= 0
    if not (grouped & (vacancy > 0)).any():
        return
    # Dense group codes 0..n_groups-1 for the positions that have a group.
    dense = np.full(labels.shape, -1, dtype=np.int64)
    unique, inverse = np.unique(labels[grouped], return_inverse=True)
    dense[grouped] = inverse
    seats_per_group = np.bincount(
        dense[grouped], weights=np.maximum(vacancy[grouped], 0), minlength=unique.shape[0]
    ).astype(np.int64)

    # Candidates: waiting rows of a group that has a vacant seat.
    candidate_group = dense[a.position[waiting]]
    eligible = candidate_group >= 0
    eligible[eligible] = seats_per_group[candidate_group[eligible]] > 0
    if not eligible.any():
        return
    keys = keys.subset(eligible)
    cand_group = candidate_group[eligible]
    order, _ = keys.order(cand_group, rules.tie_break.order, a.applicant_id[keys.rows])
    cand_rows = keys.rows[order]
    cand_group = cand_group[order]
    group_start, _ = _runs(cand_group, [])
    within = np.arange(cand_rows.shape[0]) - group_start
    takes = within < seats_per_group[cand_group]

    # Seats, one per vacant place, sorted by group, priority, position index.
    open_positions = np.flatnonzero(grouped & (vacancy > 0))
    seat_position = np.repeat(open_positions, vacancy[open_positions])
    seat_order = np.lexsort([seat_position, positions.priority[seat_position], dense[seat_position]])
    seat_position = seat_position[seat_order]
    seat_start = np.concatenate(([0], np.cumsum(seats_per_group)[:-1]))
    target = seat_position[seat_start[cand_group[takes]] + within[takes]]
    winners = cand_rows[takes]
    out.status[winners] = Status.SELECTED_BY_FILLING
    out.appointed[winners] = target
    by_filling = np.bincount(target, minlength=out.filled.shape[0])
    out.filled += by_filling
    out.filled_by_filling += by_filling
