"""The rules of a selection period: sections, thresholds, weights, shortlist, tie-break.

National CPNS rules (PermenPANRB No. 27/2021 and its successors) are the defaults; every one is a
field the committee sets from its period's decree, validated on construction (a
:class:`~scoring.selection.errors.SelectionRuleError` with a code for the web layer otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import SelectionRuleError

__all__ = [
    "BASIC_KEYS",
    "COMPONENT_KINDS",
    "FINAL_KEYS",
    "NATIONAL_THRESHOLDS",
    "WEIGHT_TOLERANCE",
    "FieldComponent",
    "Section",
    "SelectionRules",
    "ShortlistRule",
    "ThresholdRule",
    "TieBreak",
    "WeightRule",
    "national_rules",
]

#: Absolute tolerance when checking that weights add up to one.
WEIGHT_TOLERANCE = 1e-9
#: Kinds of field-test component and the weight bound each is held to.
COMPONENT_KINDS = ("computer", "interview", "other")

#: Keys available to order applicants. ``section:<name>`` and ``field:<name>`` name one
#: section or component. Higher is better, except ``birth_date``: earlier (older) is better.
BASIC_KEYS = ("basic_total", "education", "birth_date")
FINAL_KEYS = ("final", "field")


def _check_name(name: object, what: str) -> None:
    """Refuse an empty name or one with ':' (it would break ``section:<name>`` keys)."""
    if not isinstance(name, str) or not name or ":" in name:
        raise SelectionRuleError("name_invalid", f"A {what} needs a non-empty name without ':'.", what=what)


def _check_order(order: tuple[str, ...], purpose: str) -> None:
    """Refuse an empty order, a key the order cannot use, or a repeated key."""
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


@dataclass(frozen=True, init=False)
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
    minimums : mapping of str to float, or (str, float) pairs
        Minimum score per section name; sections left out have no minimum. Kept as a tuple of
        (section, minimum) pairs in the order given.
    total_minimum : float or None
        Minimum basic total (sum of sections), or None for none.
    """

    category: str
    minimums: tuple[tuple[str, float], ...]
    total_minimum: float | None

    # Written out rather than generated: ``minimums`` may come as a mapping and is kept as pairs.
    def __init__(
        self,
        category: str,
        minimums: Mapping[str, float] | Iterable[tuple[str, float]] = (),
        total_minimum: float | None = None,
    ) -> None:
        object.__setattr__(self, "category", category)
        object.__setattr__(self, "total_minimum", total_minimum)
        _check_name(self.category, "category")
        pairs = tuple(minimums.items()) if isinstance(minimums, Mapping) else tuple(minimums)
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
        self._check_sections()
        self._check_categories()
        maxima = {s.name: s.maximum for s in self.sections}
        for rule in self.thresholds:
            self._check_threshold_within_maxima(rule, maxima)
        self._check_order_keys_known(maxima)
        self._check_options()

    def _check_sections(self) -> None:
        """At least one and at most 30 sections, with distinct names."""
        if not self.sections:
            raise SelectionRuleError("sections_missing", "The basic test needs at least one section.")
        if len(self.sections) > 30:
            raise SelectionRuleError("too_many_sections", "The basic test may have at most 30 sections.")
        names = [s.name for s in self.sections]
        if len(set(names)) != len(names):
            raise SelectionRuleError("section_repeated", "Two sections have the same name.")

    def _check_categories(self) -> None:
        """At least one applicant category, with distinct names."""
        if not self.thresholds:
            raise SelectionRuleError("categories_missing", "At least one applicant category is needed.")
        categories = [t.category for t in self.thresholds]
        if len(set(categories)) != len(categories):
            raise SelectionRuleError("category_repeated", "Two applicant categories have the same name.")

    def _check_threshold_within_maxima(self, rule: ThresholdRule, maxima: dict[str, float]) -> None:
        """A category's minimums name sections and stay within their maxima and the basic maximum."""
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

    def _check_order_keys_known(self, maxima: dict[str, float]) -> None:
        """``section:<name>`` and ``field:<name>`` keys of both orders name a section or component."""
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

    def _check_options(self) -> None:
        """``fill_vacancies`` is a bool and ``score_decimals`` None or a whole number 0..12."""
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
