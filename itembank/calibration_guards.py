"""Calibration guards: which estimates of a draft run are not fit to publish, and why.

One rule, used by the run's review page, by publishing (refused while a flagged item is neither
excluded nor fixed) and by the item page (an implausible standard error is marked). An estimate
is flagged when it is not finite or implausible on the logistic metric (D = 1) of
``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``:

* ``|b| >`` :data:`MAX_ABS_B` (or a category threshold beyond it): a location outside the range
  any test in the bank measures (θ beyond ±6 covers 1 in 10⁹ candidates of a standard normal);
* ``a`` outside (:data:`MIN_A`, :data:`MAX_A`): no discrimination, or a Heywood-like runaway slope
  (the engine itself warns above 8; Baker & Kim 2004, ch. 6, on unbounded slopes);
* a standard error that is not finite, above :data:`MAX_SE` logits (the estimate says nothing), or
  below :data:`MIN_SE` (impossible with a finite sample: the information matrix was singular and
  its pseudo-inverse gave zeros);
* the run's EM did not converge (the engine tells convergence per run, not per item, so every
  estimated item of a non-converged run is flagged);
* a response category used fewer than :data:`MIN_CATEGORY_RESPONSES` times: Linacre (2002,
  "Optimizing rating scale category effectiveness", J. Applied Measurement 3(1), guideline 1) asks
  for at least 10 observations per category before its threshold is estimated stably; applied to
  the two categories (wrong, right) of dichotomous items too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from itembank.models import ItemParameter
from itembank.parameters import DICHOTOMOUS

MAX_ABS_B = 6.0
MIN_A, MAX_A = 0.05, 6.0
MAX_SE = 2.0
MIN_SE = 1e-4
MIN_CATEGORY_RESPONSES = 10
#: Above this condition number the information matrix is numerically singular for the SEs (a
#: relative precision of 1e-6 is lost from float64's 1e-16); the run page says so.
MAX_CONDITION = 1e10


@dataclass(frozen=True)
class GuardReason:
    """Why an estimate is flagged: ``code`` names the translated reason, ``params`` fill it."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(float(value))


def se_plausible(value: float | None) -> bool:
    """Whether a stored standard error is finite and within [MIN_SE, MAX_SE]; None (not computed)
    counts as plausible, since there is nothing to mark."""
    if value is None:
        return True
    return math.isfinite(float(value)) and MIN_SE <= float(value) <= MAX_SE


def _standard_errors(row: ItemParameter) -> list[tuple[str, float | None]]:
    """The row's standard errors by parameter name; None where the run could not compute one."""
    stats = row.statistics or {}
    errors: list[tuple[str, float | None]] = [("a", row.se_a)]
    if row.model in DICHOTOMOUS:
        errors.append(("b", row.se_b))
    else:
        errors += [(f"b{k + 1}", se) for k, se in enumerate(stats.get("se_thresholds") or [])]
    if row.model == "3pl":
        errors.append(("c", row.se_c))
    return errors


def guard_reasons(row: ItemParameter, *, converged: bool | None) -> tuple[GuardReason, ...]:
    """The reasons an estimated parameter row (``itembank.models.ItemParameter``) is not fit to
    publish; empty when it is. ``converged`` is the run's EM convergence.

    The row's ``statistics`` may hold ``nonfinite`` (names of estimates or SEs the engine returned
    as NaN or infinite, stored as None) and ``categories`` (responses per category).
    """
    stats = row.statistics or {}
    reasons: list[GuardReason] = []
    nonfinite = set(stats.get("nonfinite") or [])
    estimates = [name for name in ("a", "b", "c", "thresholds") if name in nonfinite]
    if estimates or not _finite(row.a):
        reasons.append(GuardReason("estimate_nonfinite", {"names": ", ".join(estimates or ["a"])}))
    locations = [("b", row.b)] + [(f"b{k + 1}", t) for k, t in enumerate(row.thresholds or [])]
    extreme = [(name, value) for name, value in locations if _finite(value) and abs(value) > MAX_ABS_B]
    if extreme:
        name, value = max(extreme, key=lambda pair: abs(pair[1]))
        reasons.append(GuardReason("b_extreme", {"name": name, "value": value, "limit": MAX_ABS_B}))
    if _finite(row.a) and not MIN_A < row.a < MAX_A:
        reasons.append(GuardReason("a_range", {"value": row.a, "low": MIN_A, "high": MAX_A}))
    errors = _standard_errors(row)
    missing = [name for name, se in errors if not _finite(se) and f"se_{name}" in nonfinite]
    if missing:
        reasons.append(GuardReason("se_nonfinite", {"names": ", ".join(missing)}))
    large = [(name, se) for name, se in errors if _finite(se) and se > MAX_SE]
    if large:
        name, value = max(large, key=lambda pair: pair[1])
        reasons.append(GuardReason("se_large", {"name": name, "value": value, "limit": MAX_SE}))
    small = [(name, se) for name, se in errors if _finite(se) and se < MIN_SE]
    if small:
        name, value = min(small, key=lambda pair: pair[1])
        reasons.append(GuardReason("se_small", {"name": name, "value": value, "limit": MIN_SE}))
    if converged is False:
        reasons.append(GuardReason("not_converged"))
    counts: Sequence[int] = stats.get("categories") or []
    sparse = [(k, n) for k, n in enumerate(counts) if n < MIN_CATEGORY_RESPONSES]
    if sparse:
        category, n = min(sparse, key=lambda pair: pair[1])
        reasons.append(GuardReason("sparse_category", {"category": category, "n": n, "min": MIN_CATEGORY_RESPONSES}))
    return tuple(reasons)


def condition_is_singular(summary: Mapping[str, Any]) -> bool:
    """Whether the run's stored information summary says the SEs came from a (numerically)
    singular matrix: an infinite or huge condition number, or a rank below the parameter count."""
    info = summary.get("information") or {}
    if not info:
        return False
    condition = info.get("condition")
    return condition is None or condition > MAX_CONDITION or info.get("rank", 0) < info.get("size", 0)
