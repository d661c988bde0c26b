"""The period's ranking rules as JSON, to and from ``scoring.selection.SelectionRules``."""

from __future__ import annotations

from typing import Any

from scoring.selection import (
    FieldComponent,
    Section,
    SelectionRuleError,
    SelectionRules,
    ShortlistRule,
    ThresholdRule,
    TieBreak,
    WeightRule,
    national_rules,
)


def rules_to_json(rules: SelectionRules) -> dict:
    """A JSON-ready mapping holding every field of ``rules``."""
    weights = rules.weights
    return {
        "sections": [{"name": s.name, "maximum": s.maximum} for s in rules.sections],
        "thresholds": [
            {"category": t.category, "minimums": dict(t.minimums), "total_minimum": t.total_minimum}
            for t in rules.thresholds
        ],
        "weights": {
            "basic": weights.basic,
            "field": weights.field,
            "components": [
                {"name": c.name, "kind": c.kind, "weight": c.weight, "maximum": c.maximum} for c in weights.components
            ],
            "min_computer": weights.min_computer,
            "max_interview": weights.max_interview,
            "max_other": weights.max_other,
        },
        "shortlist": {"multiple": rules.shortlist.multiple, "order": list(rules.shortlist.order)},
        "tie_break": list(rules.tie_break.order),
        "fill_vacancies": rules.fill_vacancies,
        "score_decimals": rules.score_decimals,
    }


def default_rules_json() -> dict:
    """The national rules of ``scoring.selection.national_rules`` as JSON."""
    return rules_to_json(national_rules())


def rules_from_json(data: Any) -> SelectionRules:
    """Build and validate rules from JSON; raises SelectionRuleError on any bad value or shape."""
    # ``Any``: untrusted decoded JSON; a wrong shape raises below and is turned into a SelectionRuleError.
    try:
        weights = data["weights"]
        return SelectionRules(
            sections=tuple(Section(str(s["name"]), float(s["maximum"])) for s in data["sections"]),
            thresholds=tuple(
                ThresholdRule(
                    str(t["category"]),
                    {str(k): float(v) for k, v in dict(t.get("minimums") or {}).items()},
                    None if t.get("total_minimum") is None else float(t["total_minimum"]),
                )
                for t in data["thresholds"]
            ),
            weights=WeightRule(
                basic=float(weights["basic"]),
                field=float(weights["field"]),
                components=tuple(
                    FieldComponent(str(c["name"]), str(c["kind"]), float(c["weight"]), float(c.get("maximum", 100)))
                    for c in weights["components"]
                ),
                min_computer=float(weights.get("min_computer", 0.5)),
                max_interview=float(weights.get("max_interview", 0.3)),
                max_other=float(weights.get("max_other", 0.2)),
            ),
            shortlist=ShortlistRule(int(data["shortlist"]["multiple"]), tuple(data["shortlist"]["order"])),
            tie_break=TieBreak(tuple(data["tie_break"])),
            fill_vacancies=bool(data.get("fill_vacancies", True)),
            score_decimals=data.get("score_decimals", 6),
        )
    except SelectionRuleError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SelectionRuleError("rules_shape_invalid", f"The rules are not in the expected form: {error}") from None
