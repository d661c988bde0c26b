"""Selection ranking rules: worked examples computed by hand, rule validation, and properties.

Worked examples use the default national structure (TWK/TIU/TKP with maxima 150/175/225, basic
maximum 550, final = 40% basic + 60% field) so the expected numbers can be checked on paper.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.selection import (
    Applicants,
    FieldComponent,
    Positions,
    Section,
    SelectionRuleError,
    SelectionRules,
    ShortlistRule,
    Status,
    ThresholdRule,
    TieBreak,
    WeightRule,
    national_rules,
    select,
    shortlist,
)

S = Status
NO_THRESHOLDS = SelectionRules(thresholds=(ThresholdRule("general"),))


def make_applicants(
    basic, field=None, *, position=None, category=None, ids=None, education=None, birth=None, admin=None
) -> Applicants:
    """Applicants from lists; unspecified columns get neutral values."""
    basic = np.asarray(basic, dtype=float)
    n = basic.shape[0]
    return Applicants(
        applicant_id=np.arange(1, n + 1) if ids is None else np.asarray(ids),
        position=np.zeros(n, dtype=int) if position is None else np.asarray(position),
        category=np.zeros(n, dtype=int) if category is None else np.asarray(category),
        basic_scores=basic,
        education=np.full(n, 3.5) if education is None else np.asarray(education, dtype=float),
        birth_date=np.full(n, 10_000) if birth is None else np.asarray(birth),
        admin_passed=np.ones(n, dtype=bool) if admin is None else np.asarray(admin),
        field_scores=None if field is None else as_columns(field),
    )


def as_columns(values) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[:, None] if array.ndim == 1 else array


def statuses(result) -> list[Status]:
    return [Status(int(s)) for s in result.status]


# --------------------------------------------------------------------------- worked examples


def test_final_score_with_one_computer_test():
    # basic 440/550 = 80 -> 0.4 * 80 = 32; CAT 70/100 -> 0.6 * 70 = 42; final 74.
    result = select(make_applicants([[150, 125, 165]], [70]), Positions(np.array([1])), NO_THRESHOLDS)
    assert result.basic_total[0] == 440
    assert result.field_score[0] == pytest.approx(70.0)
    assert result.final_score[0] == pytest.approx(74.0)
    assert statuses(result) == [S.SELECTED]


def test_final_score_with_three_field_components():
    # CAT 400/500 = 80, interview 90, other 60: field = 0.5*80 + 0.3*90 + 0.2*60 = 40 + 27 + 12 = 79.
    # basic 385/550 = 70: final = 0.4*70 + 0.6*79 = 28 + 47.4 = 75.4.
    rules = national_rules(
        thresholds=(ThresholdRule("general"),),
        components=(
            FieldComponent("CAT", "computer", 0.5, 500.0),
            FieldComponent("interview", "interview", 0.3),
            FieldComponent("portfolio", "other", 0.2),
        ),
    )
    result = select(make_applicants([[100, 100, 185]], [[400, 90, 60]]), Positions(np.array([1])), rules)
    assert result.field_score[0] == pytest.approx(79.0)
    assert result.final_score[0] == pytest.approx(75.4)


def test_thresholds_by_category_and_reasons():
    rules = national_rules(
        thresholds=(
            ThresholdRule("general", {"TWK": 65, "TIU": 80, "TKP": 166}),
            ThresholdRule("special", {"TKP": 156}, total_minimum=300),
        )
    )
    basic = [
        [60, 100, 200],  # general, TWK 60 < 65
        [65, 80, 166],  # general, exactly on every minimum: passes
        [60, 70, 170],  # general, TWK and TIU below
        [50, 60, 190],  # special, total 300, TKP 190: passes
        [50, 60, 155],  # special, TKP 155 < 156 and total 265 < 300
        [65, 80, 165],  # general, TKP one point short
    ]
    applicants = make_applicants(basic, position=[0] * 6, category=[0, 0, 0, 1, 1, 0])
    result = shortlist(applicants, Positions(np.array([5])), rules)
    assert statuses(result) == [
        S.BELOW_THRESHOLD,
        S.SHORTLISTED,
        S.BELOW_THRESHOLD,
        S.SHORTLISTED,
        S.BELOW_THRESHOLD,
        S.BELOW_THRESHOLD,
    ]
    assert result.reason_of(0).get("failed") == ("TWK",)
    assert result.reason_of(2).get("failed") == ("TWK", "TIU")
    assert result.reason_of(4).get("failed") == ("TKP", "total")
    assert result.reason_of(5).get("failed") == ("TKP",)
    # Passed: 311 (row 1) and 300 (row 3); below-threshold rows get no rank.
    assert list(result.shortlist_rank) == [0, 1, 0, 2, 0, 0]


def test_national_rules_general_thresholds():
    rules = national_rules()
    assert [r.category for r in rules.thresholds] == ["general", "cum_laude", "disability", "papua"]
    assert dict(rules.thresholds[0].minimums) == {"TWK": 65.0, "TIU": 80.0, "TKP": 166.0}
    assert rules.basic_maximum == 550
    assert (rules.weights.basic, rules.weights.field, rules.shortlist.multiple) == (0.4, 0.6, 3)
    assert rules.category_code("papua") == 3
    assert SelectionRules() == rules


def test_two_tied_at_the_shortlist_cut_both_go_through():
    # Quota 1, multiple 3: cut at 3. Totals 450, 440, 430, 430, 420 with equal sections for the
    # two 430s: both are third, so four go through and the 420 does not.
    basic = [[100, 150, 200], [100, 140, 200], [100, 130, 200], [100, 130, 200], [100, 120, 200]]
    result = shortlist(make_applicants(basic), Positions(np.array([1])), NO_THRESHOLDS)
    assert list(result.shortlist_rank) == [1, 2, 3, 3, 5]
    assert statuses(result) == [S.SHORTLISTED] * 4 + [S.NOT_SHORTLISTED]
    assert list(result.shortlisted) == [4]


def test_a_tie_on_the_total_broken_by_a_section_is_not_a_tie_at_the_cut():
    # The fourth also totals 430 but with TIU 120 < 130 (TKP equal): the order total, TKP, TIU
    # puts it fourth, outside the cut of 3.
    basic = [[100, 150, 200], [100, 140, 200], [100, 130, 200], [110, 120, 200], [100, 120, 200]]
    result = shortlist(make_applicants(basic), Positions(np.array([1])), NO_THRESHOLDS)
    assert list(result.shortlist_rank) == [1, 2, 3, 4, 5]
    assert statuses(result) == [S.SHORTLISTED] * 3 + [S.NOT_SHORTLISTED] * 2


def test_final_score_tie_broken_by_basic_total():
    # A: 440 (80) and field 60 -> 32 + 36 = 68.  B: 275 (50) and field 80 -> 20 + 48 = 68.
    # Equal final scores (after rounding away float noise); A has the higher basic total.
    applicants = make_applicants([[100, 140, 200], [75, 50, 150]], [60, 80], ids=[2, 1])
    result = select(applicants, Positions(np.array([1])), NO_THRESHOLDS)
    assert result.final_score[0] == result.final_score[1] == 68.0
    assert statuses(result) == [S.SELECTED, S.NOT_SELECTED]
    assert list(result.rank) == [1, 2]
    assert not result.tie_unresolved.any()


# Six candidates with the same final score (same basic total 400 and field 70) who differ one
# tie-break level at a time. Default order: TKP, TIU, TWK, education, older first, then id.
CHAIN_BASIC = [
    [100, 100, 200],  # c1
    [110, 100, 190],  # c2: TKP 190, the lowest
    [110, 90, 200],  # c3: TKP 200 but TIU 90
    [100, 100, 200],  # c4: like c1, education 3.8
    [100, 100, 200],  # c5: like c4, born earlier
    [100, 100, 200],  # c6: like c5 in everything, higher id
]
CHAIN_EDUCATION = [3.5, 3.5, 3.5, 3.8, 3.8, 3.8]
CHAIN_BIRTH = [6000, 3000, 7000, 5000, 4000, 4000]


def chain_applicants() -> Applicants:
    return make_applicants(CHAIN_BASIC, [70] * 6, ids=[1, 2, 3, 4, 5, 6], education=CHAIN_EDUCATION, birth=CHAIN_BIRTH)


def test_tie_break_chain_follows_the_national_order():
    # Quota 2, shortlist 6: everyone goes on. Shortlist order (total, TKP, TIU, TWK): c1, c4, c5
    # and c6 are equal, then c3 (TIU), then c2 (TKP).
    result = select(chain_applicants(), Positions(np.array([2])), NO_THRESHOLDS)
    assert list(result.shortlist_rank) == [1, 6, 5, 1, 1, 1]
    # Final order: c5, c6 (id), c4 (younger), c1 (education), c3 (TIU), c2 (TKP).
    assert list(result.rank) == [4, 6, 5, 3, 1, 2]
    assert statuses(result) == [S.NOT_SELECTED] * 4 + [S.SELECTED, S.SELECTED]
    assert list(result.tie_unresolved) == [False, False, False, False, True, True]
    assert len(set(result.final_score)) == 1


def test_tie_break_order_is_configurable():
    rules = SelectionRules(thresholds=(ThresholdRule("general"),), tie_break=TieBreak(("final", "birth_date")))
    result = select(chain_applicants(), Positions(np.array([2])), rules)
    # Birth dates 6000, 3000, 7000, 5000, 4000, 4000: c2, c5, c6 (id), c4, c1, c3.
    assert list(result.rank) == [5, 1, 6, 4, 2, 3]
    assert statuses(result) == [
        S.NOT_SELECTED,
        S.SELECTED,
        S.NOT_SELECTED,
        S.NOT_SELECTED,
        S.SELECTED,
        S.NOT_SELECTED,
    ]


def filling_period(priority=None) -> tuple[Applicants, Positions]:
    # Equal basic scores but the fourth's (TKP 190), so the field score (CAT) orders everyone.
    # P0 quota 1 (group 7): 90, 80, 70, and 60 whose lower basic total leaves it outside the 3x1
    # shortlist.  P1 quota 2 (group 7): 85.  P2 quota 2 (group 7): nobody.
    # P3 quota 1 (no group): 75, 95.  P4 quota 1 (group 3): nobody.
    field = [90, 80, 70, 60, 85, 75, 95]
    position = [0, 0, 0, 0, 1, 3, 3]
    basic = [[100, 100, 200]] * 3 + [[100, 100, 190]] + [[100, 100, 200]] * 3
    applicants = make_applicants(basic, field, position=position)
    positions = Positions(np.array([1, 2, 2, 1, 1]), group=np.array([7, 7, 7, -1, 3]), priority=priority)
    return applicants, positions


def test_vacancy_filling_by_equivalent_positions():
    applicants, positions = filling_period()
    result = select(applicants, positions, NO_THRESHOLDS)
    # P0: 90 selected; 80 and 70 unselected; 60 is fourth, outside the 3x1 shortlist.
    # Group 7 has 3 vacant seats (one in P1, two in P2) in that order; 80 -> P1, 70 -> P2.
    assert statuses(result) == [
        S.SELECTED,
        S.SELECTED_BY_FILLING,
        S.SELECTED_BY_FILLING,
        S.NOT_SHORTLISTED,
        S.SELECTED,
        S.NOT_SELECTED,
        S.SELECTED,
    ]
    assert list(result.appointed_position) == [0, 1, 2, -1, 1, -1, 3]
    assert list(result.filled) == [1, 2, 1, 1, 0]
    assert list(result.filled_by_filling) == [0, 1, 1, 0, 0]
    assert list(result.vacant) == [0, 0, 1, 0, 1]
    assert result.reason_of(1).get("appointed_position") == 1
    assert result.reason_of(1).get("rank") == 2


def test_vacancy_filling_follows_seat_priority():
    applicants, positions = filling_period(priority=np.array([0, 0, -1, 0, 0]))
    result = select(applicants, positions, NO_THRESHOLDS)
    # P2 is offered first: both its seats go to 80 and 70; P1 keeps its vacancy.
    assert list(result.appointed_position[:3]) == [0, 2, 2]
    assert list(result.filled) == [1, 1, 2, 1, 0]


def test_vacancy_filling_can_be_switched_off():
    applicants, positions = filling_period()
    rules = SelectionRules(thresholds=(ThresholdRule("general"),), fill_vacancies=False)
    result = select(applicants, positions, rules)
    assert statuses(result)[:3] == [S.SELECTED, S.NOT_SELECTED, S.NOT_SELECTED]
    assert list(result.filled) == [1, 1, 0, 1, 0]


def test_administrative_failure_and_absence():
    basic = [[100, 100, 200], [math.nan, math.nan, math.nan], [100, 100, 200], [100, 100, 200]]
    applicants = make_applicants(basic, [80, 80, math.nan, 80], admin=[True, True, True, False])
    result = select(applicants, Positions(np.array([3])), national_rules())
    assert statuses(result) == [S.SELECTED, S.ABSENT, S.ABSENT, S.ADMIN_FAILED]
    assert result.reason_of(1).get("test") == "basic"
    assert result.reason_of(2).get("test") == "field"
    assert result.reason_of(3).code == "ADMIN_FAILED"
    assert list(result.filled) == [1]


def test_shortlist_stage_needs_no_field_scores():
    applicants = make_applicants([[100, 100, 200]] * 2)
    assert statuses(shortlist(applicants, Positions(np.array([1])), NO_THRESHOLDS)) == [S.SHORTLISTED] * 2
    with pytest.raises(SelectionRuleError) as info:
        select(applicants, Positions(np.array([1])), NO_THRESHOLDS)
    assert info.value.code == "field_scores_missing"


def test_empty_period_and_zero_quota():
    empty = make_applicants(np.zeros((0, 3)), np.zeros((0, 1)))
    result = select(empty, Positions(np.array([2])), national_rules())
    assert result.status.shape == (0,) and list(result.filled) == [0]
    zero = select(make_applicants([[100, 100, 200]], [80]), Positions(np.array([0])), NO_THRESHOLDS)
    assert statuses(zero) == [S.NOT_SHORTLISTED]


def test_result_arrays_are_read_only():
    result = select(make_applicants([[100, 100, 200]], [80]), Positions(np.array([1])), NO_THRESHOLDS)
    with pytest.raises(ValueError):
        result.status[0] = 0


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: WeightRule(basic=0.5, field=0.6), "weights_do_not_sum_to_one"),
        (
            lambda: WeightRule(components=(FieldComponent("CAT", "computer", 0.6),)),
            "weights_do_not_sum_to_one",
        ),
        (
            lambda: WeightRule(
                components=(
                    FieldComponent("CAT", "computer", 0.65),
                    FieldComponent("interview", "interview", 0.35),
                )
            ),
            "interview_weight_too_high",
        ),
        (
            lambda: WeightRule(
                components=(
                    FieldComponent("CAT", "computer", 0.45),
                    FieldComponent("interview", "interview", 0.3),
                    FieldComponent("other", "other", 0.25),
                )
            ),
            "computer_weight_too_low",
        ),
        (
            lambda: WeightRule(
                components=(FieldComponent("CAT", "computer", 0.75), FieldComponent("other", "other", 0.25))
            ),
            "other_weight_too_high",
        ),
        (lambda: FieldComponent("CAT", "essay", 1.0), "component_kind_unknown"),
        (lambda: FieldComponent("CAT", "computer", 0.0), "component_weight_invalid"),
        (lambda: Section("TWK", 0.0), "section_maximum_invalid"),
        (lambda: ThresholdRule("general", {"TWK": -1}), "threshold_invalid"),
        (lambda: ThresholdRule("general:x"), "name_invalid"),
        (lambda: ShortlistRule(multiple=0), "shortlist_multiple_invalid"),
        (lambda: ShortlistRule(order=("final",)), "order_key_invalid"),
        (lambda: TieBreak(order=("final", "shoe_size")), "order_key_invalid"),
        (lambda: TieBreak(order=("final", "final")), "order_key_repeated"),
        (lambda: TieBreak(order=()), "order_empty"),
        (
            lambda: SelectionRules(thresholds=(ThresholdRule("general", {"MATH": 10}),)),
            "threshold_section_unknown",
        ),
        (
            lambda: SelectionRules(thresholds=(ThresholdRule("general", {"TWK": 151}),)),
            "threshold_above_maximum",
        ),
        (lambda: SelectionRules(thresholds=(ThresholdRule("a"), ThresholdRule("a"))), "category_repeated"),
        (lambda: SelectionRules(tie_break=TieBreak(("final", "section:MATH"))), "order_key_unknown"),
        (lambda: SelectionRules(tie_break=TieBreak(("field:essay",))), "order_key_unknown"),
        (lambda: SelectionRules(score_decimals=-1), "score_decimals_invalid"),
        (lambda: national_rules().category_code("veteran"), "category_unknown"),
    ],
)
def test_invalid_rules_are_refused_with_a_stable_code(build, code):
    with pytest.raises(SelectionRuleError) as info:
        build()
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert str(info.value) == info.value.message and info.value.message


def test_weight_bounds_are_configurable():
    # A period allowing a 40% interview must say so explicitly.
    rule = WeightRule(
        components=(FieldComponent("CAT", "computer", 0.6), FieldComponent("interview", "interview", 0.4)),
        max_interview=0.4,
    )
    assert sum(c.weight for c in rule.components) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ids": [1, 1]}, "applicant_id_repeated"),
        ({"category": [0, 4]}, "applicant_data_invalid"),
        ({"position": [0, 1]}, "applicant_data_invalid"),
        ({"basic": [[100, 100, 200], [151, 100, 200]]}, "applicant_data_invalid"),
        ({"field": [80, 101]}, "applicant_data_invalid"),
        ({"education": [3.5, math.nan]}, "applicant_data_invalid"),
        ({"basic": [[100, 100], [100, 100]]}, "applicant_shape_mismatch"),
        ({"admin": [1, 1]}, "applicant_data_invalid"),
    ],
)
def test_invalid_data_is_refused_with_a_stable_code(change, code):
    arguments = {"basic": [[100, 100, 200]] * 2, "field": [80, 80], **change}
    with pytest.raises(SelectionRuleError) as info:
        basic, field = arguments.pop("basic"), arguments.pop("field")
        select(make_applicants(basic, field, **arguments), Positions(np.array([1])), national_rules())
    assert info.value.code == code


def test_invalid_positions_are_refused():
    with pytest.raises(SelectionRuleError) as info:
        Positions(np.array([1, -1]))
    assert info.value.code == "applicant_data_invalid"
    with pytest.raises(SelectionRuleError) as info:
        Positions(np.array([1, 1]), group=np.array([0]))
    assert info.value.code == "position_shape_mismatch"


# --------------------------------------------------------------------------- properties

TIE_KEYS = [
    "final",
    "basic_total",
    "section:TKP",
    "section:TIU",
    "section:TWK",
    "education",
    "birth_date",
    "field",
]
SHORTLIST_KEYS = ["basic_total", "section:TKP", "section:TIU", "section:TWK", "education", "birth_date"]
CATEGORIES = (
    ThresholdRule("general", {"TWK": 65, "TIU": 80, "TKP": 166}),
    ThresholdRule("special", {"TKP": 156}, total_minimum=300),
)
COMPONENT_SETS = (
    (FieldComponent("CAT", "computer", 1.0),),
    (
        FieldComponent("CAT", "computer", 0.5, 500.0),
        FieldComponent("interview", "interview", 0.3),
        FieldComponent("other", "other", 0.2),
    ),
)


@st.composite
def periods(draw):
    """A small period with few distinct score values, so ties at every level are common."""
    n_positions = draw(st.integers(1, 4))
    n = draw(st.integers(0, 50))
    components = draw(st.sampled_from(COMPONENT_SETS))
    tie_order = draw(st.permutations(TIE_KEYS))[: draw(st.integers(1, len(TIE_KEYS)))]
    short_order = draw(st.permutations(SHORTLIST_KEYS))[: draw(st.integers(1, len(SHORTLIST_KEYS)))]
    rules = SelectionRules(
        thresholds=CATEGORIES,
        weights=WeightRule(components=components),
        shortlist=ShortlistRule(multiple=draw(st.integers(1, 3)), order=tuple(short_order)),
        tie_break=TieBreak(tuple(tie_order)),
        fill_vacancies=draw(st.sampled_from([True, True, False])),
    )

    def column(values):
        # One draw of n bytes per column instead of n draws of one value each (most of the time
        # the properties took went into drawing): byte k picks values[k % len(values)], so the
        # choice is as good as uniform and shrinks toward values[0].
        picks = np.frombuffer(draw(st.binary(min_size=n, max_size=n)), dtype=np.uint8) % len(values)
        return np.asarray(values)[picks]

    # Mostly passing values, with the minimums and a failing value among them.
    twk, tiu, tkp = column([100, 65, 100, 60]), column([120, 80, 120, 70]), column([200, 166, 200, 150])
    basic = np.column_stack([twk, tiu, tkp]).astype(float)
    basic[column([False] * 9 + [True])] = np.nan
    if len(components) == 1:
        field = column([40.0, 60.0, 80.0])[:, None]
    else:
        field = np.column_stack([column([250.0, 400.0]), column([60.0, 90.0]), column([50.0, 100.0])])
    field[column([False] * 9 + [True])] = np.nan
    applicants = Applicants(
        applicant_id=np.array(draw(st.permutations(range(100, 100 + n))), dtype=np.int64),
        position=column([0, 0, 0, *range(n_positions)]),  # position 0 popular, others maybe vacant
        category=column([0, 0, 1]),
        basic_scores=basic.reshape(n, 3),
        education=column([3.0, 3.5]).astype(float),
        birth_date=column([1, 2]).astype(int),
        admin_passed=column([True] * 5 + [False]).astype(bool),
        field_scores=field.reshape(n, len(components)),
    )
    positions = Positions(
        quota=np.array(draw(st.lists(st.integers(0, 2), min_size=n_positions, max_size=n_positions))),
        group=np.array(draw(st.lists(st.sampled_from([0, 0, 1, -1]), min_size=n_positions, max_size=n_positions))),
        priority=np.array(draw(st.lists(st.integers(0, 1), min_size=n_positions, max_size=n_positions))),
    )
    return applicants, positions, rules


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def key_value(applicants, result, i, key):
    """Value of ``key`` for applicant i, higher is better."""
    kind, _, name = key.partition(":")
    sections = ["TWK", "TIU", "TKP"]
    if key == "final":
        return result.final_score[i]
    if key == "field":
        return result.field_score[i]
    if key == "basic_total":
        return result.basic_total[i]
    if kind == "section":
        return applicants.basic_scores[i, sections.index(name)]
    if key == "education":
        return applicants.education[i]
    return -applicants.birth_date[i]


def sort_key(applicants, result, i, order):
    return tuple(-key_value(applicants, result, i, k) for k in order)


def reference(applicants, positions, rules, result):
    """Loop-by-loop restatement of the rules; scores (checked separately) come from ``result``."""
    a, n = applicants, len(applicants)
    status = [None] * n
    rank = [0] * n
    appointed = [-1] * n
    short_order, tie_order = rules.shortlist.order, rules.tie_break.order
    for i in range(n):
        rule = rules.thresholds[a.category[i]]
        scores = dict(zip(["TWK", "TIU", "TKP"], a.basic_scores[i], strict=True))
        if not a.admin_passed[i]:
            status[i] = S.ADMIN_FAILED
        elif any(math.isnan(v) for v in scores.values()):
            status[i] = S.ABSENT
        elif any(scores[name] < minimum for name, minimum in rule.minimums) or (
            rule.total_minimum is not None and sum(scores.values()) < rule.total_minimum
        ):
            status[i] = S.BELOW_THRESHOLD
    for p in range(len(positions)):
        passers = [i for i in range(n) if a.position[i] == p and status[i] is None]
        cut = rules.shortlist.multiple * positions.quota[p]
        keys = {i: sort_key(a, result, i, short_order) for i in passers}
        for i in passers:
            better = sum(1 for j in passers if keys[j] < keys[i])
            status[i] = S.SHORTLISTED if better < cut else S.NOT_SHORTLISTED
        ranked = [i for i in passers if status[i] is S.SHORTLISTED and not np.isnan(a.field_scores[i]).any()]
        for i in passers:
            if status[i] is S.SHORTLISTED and i not in ranked:
                status[i] = S.ABSENT
        ranked.sort(key=lambda i: (sort_key(a, result, i, tie_order), a.applicant_id[i]))
        for place, i in enumerate(ranked):
            rank[i] = place + 1
            status[i] = S.SELECTED if place < positions.quota[p] else S.NOT_SELECTED
            appointed[i] = p if place < positions.quota[p] else -1
    if rules.fill_vacancies:
        for g in sorted({int(x) for x in positions.group if x >= 0}):
            members = [p for p in range(len(positions)) if positions.group[p] == g]
            seats = []
            for p in sorted(members, key=lambda p: (positions.priority[p], p)):
                seats += [p] * (positions.quota[p] - sum(1 for i in range(n) if appointed[i] == p))
            waiting = [i for i in range(n) if status[i] is S.NOT_SELECTED and a.position[i] in members]
            waiting.sort(key=lambda i: (sort_key(a, result, i, tie_order), a.applicant_id[i]))
            for i, p in zip(waiting, seats, strict=False):
                status[i], appointed[i] = S.SELECTED_BY_FILLING, p
    return status, rank, appointed


@settings(PROPERTY, max_examples=300)
@given(periods())
def test_matches_a_loop_by_loop_restatement_of_the_rules(period):
    applicants, positions, rules = period
    result = select(applicants, positions, rules)
    status, rank, appointed = reference(applicants, positions, rules, result)
    assert statuses(result) == status
    assert list(result.rank) == rank
    assert list(result.appointed_position) == appointed
    # The scores follow the published formula wherever they are defined.
    weights = rules.weights
    for i in np.flatnonzero(~np.isnan(result.final_score)):
        field = sum(
            c.weight * 100 * applicants.field_scores[i, k] / c.maximum for k, c in enumerate(weights.components)
        )
        assert result.field_score[i] == pytest.approx(field, abs=1e-6)
        basic = 100 * np.nansum(applicants.basic_scores[i]) / 550
        assert result.final_score[i] == pytest.approx(0.4 * basic + 0.6 * field, abs=1e-6)


@PROPERTY
@given(periods(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(period, random):
    applicants, positions, rules = period
    n = len(applicants)
    order = np.array(random.sample(range(n), n), dtype=int)
    shuffled = Applicants(
        applicant_id=applicants.applicant_id[order],
        position=applicants.position[order],
        category=applicants.category[order],
        basic_scores=applicants.basic_scores[order],
        education=applicants.education[order],
        birth_date=applicants.birth_date[order],
        admin_passed=applicants.admin_passed[order],
        field_scores=applicants.field_scores[order],
    )
    first, second = select(applicants, positions, rules), select(shuffled, positions, rules)
    for name in ("status", "reason", "shortlist_rank", "rank", "appointed_position", "tie_unresolved"):
        assert np.array_equal(getattr(first, name)[order], getattr(second, name)), name
    for name in ("basic_total", "field_score", "final_score"):
        assert np.array_equal(getattr(first, name)[order], getattr(second, name), equal_nan=True), name
    for name in ("filled", "filled_by_filling", "shortlisted"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name


@PROPERTY
@given(periods())
def test_quotas_are_never_exceeded(period):
    applicants, positions, rules = period
    result = select(applicants, positions, rules)
    assert (result.filled <= positions.quota).all()
    appointed = result.appointed_position[result.appointed_position >= 0]
    assert np.array_equal(np.bincount(appointed, minlength=len(positions)), result.filled)
    selected = np.isin(result.status, [S.SELECTED, S.SELECTED_BY_FILLING])
    assert np.array_equal(selected, result.appointed_position >= 0)
    # A vacancy is left in a group only when nobody of the group is left waiting.
    for g in set(positions.group[positions.group >= 0].tolist()):
        members = np.flatnonzero(positions.group == g)
        waiting = (result.status == S.NOT_SELECTED) & np.isin(applicants.position, members)
        if rules.fill_vacancies and result.vacant[members].sum() > 0:
            assert not waiting.any()


@PROPERTY
@given(periods())
def test_below_threshold_is_never_ranked_ahead_of_above(period):
    applicants, positions, rules = period
    result = select(applicants, positions, rules)
    below = result.status == S.BELOW_THRESHOLD
    assert (result.reason[below] != 0).all()
    assert (result.shortlist_rank[below] == 0).all() and (result.rank[below] == 0).all()
    assert (result.appointed_position[below] == -1).all()
    # Recompute the thresholds independently: everyone with a shortlist rank passed them all.
    ranked = result.shortlist_rank > 0
    for i in np.flatnonzero(ranked):
        rule = rules.thresholds[applicants.category[i]]
        for name, minimum in rule.minimums:
            assert applicants.basic_scores[i, ["TWK", "TIU", "TKP"].index(name)] >= minimum
        assert applicants.basic_scores[i].sum() >= (rule.total_minimum or 0)


@PROPERTY
@given(periods())
def test_ties_are_broken_exactly_by_the_configured_order(period):
    applicants, positions, rules = period
    result = select(applicants, positions, rules)
    order = rules.tie_break.order
    for p in range(len(positions)):
        ranked = np.flatnonzero((applicants.position == p) & (result.rank > 0))
        ranked = ranked[np.argsort(result.rank[ranked])]
        assert list(result.rank[ranked]) == list(range(1, len(ranked) + 1))
        for i, j in zip(ranked[:-1], ranked[1:], strict=True):
            ki, kj = sort_key(applicants, result, i, order), sort_key(applicants, result, j, order)
            assert ki <= kj
            if ki == kj:
                assert applicants.applicant_id[i] < applicants.applicant_id[j]
                assert result.tie_unresolved[i] and result.tie_unresolved[j]


@PROPERTY
@given(periods())
def test_everyone_tied_at_the_shortlist_cut_goes_through(period):
    applicants, positions, rules = period
    result = shortlist(applicants, positions, rules)
    order = rules.shortlist.order
    for p in range(len(positions)):
        passers = np.flatnonzero((applicants.position == p) & (result.shortlist_rank > 0))
        cut = rules.shortlist.multiple * positions.quota[p]
        short = [i for i in passers if result.status[i] == S.SHORTLISTED]
        assert len(short) >= min(cut, len(passers))
        keys = {i: sort_key(applicants, result, i, order) for i in passers}
        if short:
            last = max(keys[i] for i in short)
            # Everyone as good as the last one in is in; everyone out is strictly worse.
            assert all(result.status[i] == S.SHORTLISTED for i in passers if keys[i] <= last)
            # The last one in is within the cut when ties are counted once.
            assert sum(1 for i in passers if keys[i] < last) < cut
