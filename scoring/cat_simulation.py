"""Simulated adaptive tests: accuracy, test length, item exposure and overlap of a CAT design.

Responses are drawn with :func:`scoring.simulate.simulate_responses` from the bank's items,
``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` (logistic metric, D = 1) or GRM/GPCM, and every
step runs the same code as the stateless :func:`scoring.cat.next_item`, vectorised over the
simulated examinees (one call per test position for the whole batch).

Also here: fitting Sympson-Hetter exposure parameters by iterated simulation (Sympson & Hetter
1985), since the fit is nothing but repeated simulation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from scoring.arrays import BoolArray, FloatArray, IntArray, random_state

from .cat import Bank, CATRules, SympsonHetter
from .cat.step import _decide, _Persons
from .simulate import simulate_responses

__all__ = ["CATSimulation", "ConditionalRow", "fit_sympson_hetter", "simulate_cat"]

#: Upper edges of the exposure-rate classes reported in the summary.
EXPOSURE_BINS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0)


class ConditionalRow(TypedDict):
    """Accuracy in one bin of true θ (:meth:`CATSimulation.conditional`); an open end is ``None``."""

    low: float | None
    high: float | None
    n: int
    bias: float
    rmse: float
    mean_se: float
    mean_length: float


@dataclass(frozen=True)
class CATSimulation:
    """Outcome of simulated adaptive tests.

    Attributes
    ----------
    ids : tuple of str
        Bank item ids (columns of ``exposure`` and ``selected``).
    true_theta, theta, se : ndarray of shape (n_examinees,)
        Generating θ, final EAP estimate and posterior SD.
    n_scored : ndarray of int, shape (n_examinees,)
    reason : ndarray of str, shape (n_examinees,)
        Why each test stopped.
    items : ndarray of int, shape (n_examinees, max_delivered)
        Bank positions in delivery order, -1 padded.
    is_pilot : ndarray of bool, shape (n_examinees, max_delivered)
    exposure : ndarray of shape (n_items,)
        Share of examinees who were given each item.
    selected : ndarray of shape (n_items,)
        Share of examinees for whom each item was selected (given or set aside by
        Sympson-Hetter); ``P(S)`` of Sympson & Hetter (1985).
    category_counts : ndarray of int, shape (n_examinees, n_categories)
        Scored items per content category.
    category_names : tuple of str
    """

    ids: tuple[str, ...]
    true_theta: FloatArray
    theta: FloatArray
    se: FloatArray
    n_scored: IntArray
    reason: npt.NDArray[np.str_]
    items: IntArray
    is_pilot: BoolArray
    exposure: FloatArray
    selected: FloatArray
    category_counts: IntArray
    category_names: tuple[str, ...]

    def overlap_rate(self) -> float:
        """Mean share of items two examinees have in common (Way 1998; Chen, Ankenmann & Spray 2003).

        ``sum_j n_j (n_j - 1) / (N (N - 1))`` is the mean number of shared items over all pairs
        of examinees (``n_j`` examinees saw item j); it is divided by the mean test length.
        """
        n = self.true_theta.shape[0]
        counts = np.rint(self.exposure * n)
        length = float(self.n_scored.mean())
        if n < 2 or length == 0:
            return 0.0
        return float((counts * (counts - 1)).sum() / (n * (n - 1)) / length)

    def conditional(self, edges: npt.ArrayLike | None = None) -> list[ConditionalRow]:
        """Bias, RMSE and mean SE by bins of true θ (conditional SEM); outer bins are open.

        ``edges`` defaults to -3, -2.5, ..., 3.
        """
        edges = np.arange(-3.0, 3.01, 0.5) if edges is None else np.asarray(edges, float)
        where = np.searchsorted(edges, self.true_theta)
        out: list[ConditionalRow] = []
        for b in range(edges.shape[0] + 1):
            m = where == b
            if not m.any():
                continue
            err = self.theta[m] - self.true_theta[m]
            out.append(
                {
                    "low": None if b == 0 else float(edges[b - 1]),
                    "high": None if b == edges.shape[0] else float(edges[b]),
                    "n": int(m.sum()),
                    "bias": float(err.mean()),
                    "rmse": float(np.sqrt(np.mean(err**2))),
                    "mean_se": float(self.se[m].mean()),
                    "mean_length": float(self.n_scored[m].mean()),
                }
            )
        return out

    def summary(self, targets: dict[str, int] | None = None) -> dict[str, object]:
        """Bias, RMSE(θ), test length, exposure distribution, overlap, stop reasons.

        Parameters
        ----------
        targets : mapping of category to count, optional
            Blueprint; adds the share of examinees whose test met it exactly.
        """
        err = self.theta - self.true_theta
        hist, _ = np.histogram(self.exposure, bins=EXPOSURE_BINS)
        unused = int((self.exposure == 0).sum())
        classes = [{"low": 0.0, "high": 0.0, "items": unused}]
        for lo, hi, count in zip(EXPOSURE_BINS[:-1], EXPOSURE_BINS[1:], hist, strict=True):
            if lo == 0.0:
                count -= unused
            classes.append({"low": lo, "high": hi, "items": int(count)})
        reasons, counts = np.unique(self.reason, return_counts=True)
        out: dict[str, object] = {
            "examinees": int(err.shape[0]),
            "bias": float(err.mean()),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "correlation": float(np.corrcoef(self.theta, self.true_theta)[0, 1]) if err.shape[0] > 2 else None,
            "mean_se": float(self.se.mean()),
            "mean_length": float(self.n_scored.mean()),
            "min_length": int(self.n_scored.min()),
            "max_length": int(self.n_scored.max()),
            "max_exposure": float(self.exposure.max()),
            "items_never_used": unused,
            "exposure_classes": classes,
            "overlap_rate": self.overlap_rate(),
            "stop_reasons": {str(r): int(c) for r, c in zip(reasons, counts, strict=True)},
            "pilot_items_given": int(self.is_pilot.sum()),
        }
        if targets:
            want = np.array([targets.get(c, 0) for c in self.category_names])
            out["blueprint_met"] = float((self.category_counts == want).all(axis=1).mean())
        return out


def simulate_cat(
    bank: Bank,
    rules: CATRules,
    theta: npt.ArrayLike,
    *,
    rng: np.random.Generator | int | None = None,
    seconds_per_item: float | None = None,
    check: bool = True,
) -> CATSimulation:
    """Simulate adaptive tests of examinees with known θ.

    Parameters
    ----------
    bank : Bank
    rules : CATRules
    theta : ndarray of shape (n_examinees,)
        True abilities.
    rng : numpy.random.Generator, int or None
    seconds_per_item : float, optional
        Time each item takes (for :class:`scoring.cat.TimeLimit`); default 0.
    check : bool
        Run :meth:`CATRules.check` on the bank first.

    Returns
    -------
    CATSimulation
    """
    rng = random_state(rng)
    if check:
        rules.check(bank)
    theta = np.asarray(theta, dtype=float)
    n, j = theta.shape[0], bank.n_items
    limit = (rules.max_length or j) + len(rules.pilot_positions)
    items = np.full((n, limit), -1, dtype=np.intp)
    is_pilot = np.zeros((n, limit), bool)
    est, se = np.zeros(n), np.zeros(n)
    reason = np.full(n, "", dtype=object)
    n_scored = np.zeros(n, np.intp)
    counts = np.zeros((n, len(bank.category_names)), np.intp)
    given_count, selected_count = np.zeros(j), np.zeros(j)
    chunk = max(1, 8_000_000 // j)  # bounds the (examinees x items) response and mask arrays
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        _simulate_block(bank, rules, theta[s:e], rng, seconds_per_item, limit,
                        items[s:e], is_pilot[s:e], est[s:e], se[s:e], reason[s:e], n_scored[s:e],
                        counts[s:e], given_count, selected_count)  # fmt: skip
    return CATSimulation(
        ids=bank.ids,
        true_theta=theta,
        theta=est,
        se=se,
        n_scored=n_scored,
        reason=reason.astype(str),
        items=items,
        is_pilot=is_pilot,
        exposure=given_count / max(n, 1),
        selected=selected_count / max(n, 1),
        category_counts=counts,
        category_names=bank.category_names,
    )


def fit_sympson_hetter(
    bank: Bank,
    rules: CATRules,
    target: float = 0.25,
    *,
    n_examinees: int = 1000,
    n_iter: int = 10,
    margin: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> tuple[Bank, list[float]]:
    """Sympson-Hetter exposure parameters fitted by iterated simulation (Sympson & Hetter 1985).

    Starting from ``K_j = 1``, each round simulates ``n_examinees`` tests with θ drawn from the
    bank's prior and lowers ``K_j`` to ``target / P(S_j)`` where the selection rate ``P(S_j)``
    exceeds the target, so that ``P(A_j) = K_j P(S_j) <= target``. Unlike the original procedure,
    which resets ``K_j`` to 1 whenever ``P(S_j)`` falls below the target, ``K_j`` never rises
    between rounds: the reset makes the items just under the target swing back above it, and with
    it the maximum exposure kept circling the target instead of settling below it. The rates are aimed at
    ``target - margin``. An exposure rate estimated from N simulated examinees has a sampling SD
    of ``sqrt(r (1 - r) / N)``, and with hundreds of items near the ceiling the largest of them
    lands about three SDs above its expectation; the default margin is therefore
    ``3 sqrt(r (1 - r) / N)`` (0.041 for r = 0.25 and N = 1,000), without which the fitted
    parameters keep the maximum observed rate above the target.

    Parameters
    ----------
    bank : Bank
    rules : CATRules
        Their exposure rule is replaced by :class:`scoring.cat.SympsonHetter` (kept if it is one).
    target : float
        Largest acceptable exposure rate r.
    margin : float, optional
        Safety margin for sampling error (the rates are fitted to ``target - margin``); default
        ``3 sqrt(target (1 - target) / n_examinees)``.
    n_examinees, n_iter : int
    rng : numpy.random.Generator, int or None

    Returns
    -------
    bank : Bank
        The bank with fitted ``exposure`` parameters.
    history : list of float
        Maximum exposure rate of each round (before that round's update).
    """
    if margin is None:
        margin = 3.0 * float(np.sqrt(target * (1.0 - target) / max(n_examinees, 1)))
    if not 0 < target - margin < target <= 1:
        raise ValueError("The exposure target must lie in (0, 1] and exceed the margin.")
    aim = target - margin
    rng = random_state(rng)
    if not isinstance(rules.exposure, SympsonHetter):
        rules = replace(rules, exposure=SympsonHetter())
    rules.check(bank)
    k = np.ones(bank.n_items)
    history = []
    for _ in range(n_iter):
        current = bank.with_exposure(k)
        theta = rng.normal(bank.prior.mean, bank.prior.sd, n_examinees)
        sim = simulate_cat(current, rules, theta, rng=rng, check=False)
        history.append(float(sim.exposure.max()))
        p_s = sim.selected
        k = np.minimum(k, np.where(p_s > aim, aim / np.maximum(p_s, 1e-12), 1.0))
    return bank.with_exposure(np.clip(k, 1e-6, 1.0)), history


def _simulate_block(
    bank: Bank,
    rules: CATRules,
    theta: FloatArray,
    rng: np.random.Generator,
    seconds_per_item: float | None,
    limit: int,
    items: IntArray,
    is_pilot: BoolArray,
    est: FloatArray,
    se: FloatArray,
    reason: npt.NDArray[np.object_],
    n_scored: IntArray,
    counts: IntArray,
    given_count: FloatArray,
    selected_count: FloatArray,
) -> None:
    """Run the tests of one block of examinees, filling the output slices in place."""
    n, j = theta.shape[0], bank.n_items
    params = bank.params
    # dichotomous banks: draw each response when its item is given (a test uses a few percent of
    # the bank); polytomous banks: draw every response up front
    lazy = bool((params.n_categories == 2).all())
    responses = None if lazy else simulate_responses(params, theta, rng=rng, dtype=np.float32)
    state = _Persons(
        np.zeros((n, bank.nodes.shape[0])),
        np.zeros((n, j), bool),
        counts,
        n_scored,
        np.zeros(n, np.intp),
        np.zeros(n, np.intp),
        np.zeros(n),
        np.zeros((n, j), bool),
    )
    active = np.arange(n)
    for _ in range(limit + 1):
        if not active.size:
            break
        d = _decide(bank, rules, state if active.size == n else state.take(active), rng)
        done = d.stop
        est[active[done]], se[active[done]] = d.theta[done], d.se[done]
        reason[active[done]] = d.reason[done]
        for r, item in d.set_aside:
            row = active[r]
            state.blocked[row, item] = True
            state.n_blocked[row] += 1
            selected_count[item] += 1
        go = ~done
        rows, picked, pilot = active[go], d.item[go], d.pilot[go]
        pos = state.n_delivered[rows]
        items[rows, pos] = picked
        is_pilot[rows, pos] = pilot
        state.blocked[rows, picked] = True
        state.n_blocked[rows] += 1
        state.n_delivered[rows] += 1
        if seconds_per_item:
            state.elapsed[rows] += seconds_per_item
        scored = ~pilot
        sr, sj = rows[scored], picked[scored]
        if responses is None:  # lazy: P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
            c = params.c[sj]
            prob = c + (1.0 - c) / (1.0 + np.exp(-params.a[sj] * (theta[sr] - params.b[sj])))
            resp = (rng.random(sr.shape[0]) < prob).astype(np.intp)
        else:
            resp = responses[sr, sj].astype(np.intp)
        state.loglik[sr] += bank.log_p[sj, resp]
        np.add.at(state.counts, (sr, bank.category[sj]), 1)
        state.n_scored[sr] += 1
        state.given[sr, sj] = True
        np.add.at(given_count, sj, 1)
        np.add.at(selected_count, sj, 1)
        active = rows
