"""Validation of the forensics by simulation: sessions with planted copiers and pre-knowledge.

Shared by ``tests/proctoring/test_forensics.py`` and ``benchmarks/forensics.py`` (which imports it
from the project root, as ``benchmarks/load/faults.py`` imports ``tests.ops``); production code
never simulates, so this lives beside the tests rather than in :mod:`proctoring.forensics`.
Dichotomous items, logistic metric (D = 1): ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proctoring.forensics import (
    CopyingIndex,
    PersonFit,
    ResponseTimeAberrance,
    correct_probabilities,
    omega,
    person_fit,
    rt_aberrance,
    score_choices,
)
from scoring.ability import estimate_ability
from scoring.arrays import random_state, readonly
from scoring.models import ItemParameters
from scoring.simulate import simulate_parameters, simulate_responses


@dataclass(frozen=True)
class SimulatedSession:
    """A simulated exam session with planted copiers and pre-knowledge.

    Attributes
    ----------
    choices : int ndarray of shape (n_persons, n_items); -1 = unanswered
    times : ndarray of shape (n_persons, n_items)
        Seconds (NaN where unanswered).
    key : int ndarray of shape (n_items,)
    n_options : int ndarray of shape (n_items,)
    shares : ndarray of shape (n_items, max_options)
        True distractor shares among wrong answers.
    params : ItemParameters
    theta : ndarray of shape (n_persons,)
    alpha, beta : ndarray of shape (n_items,)
        True response-time parameters.
    tau : ndarray of shape (n_persons,)
    source : int ndarray of shape (n_persons,)
        The source a planted copier copied from, -1 for everyone else.
    preknowledge : bool ndarray of shape (n_persons,)
    compromised : bool ndarray of shape (n_items,)
        Items the pre-knowledge group knew.
    """

    choices: np.ndarray
    times: np.ndarray
    key: np.ndarray
    n_options: np.ndarray
    shares: np.ndarray
    params: ItemParameters
    theta: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    tau: np.ndarray
    source: np.ndarray
    preknowledge: np.ndarray
    compromised: np.ndarray


def simulate_session(
    n_persons: int = 500,
    n_items: int = 100,
    *,
    model: str = "3pl",
    n_options: int | tuple[int, int] = (4, 5),
    n_copiers: int = 25,
    copy_fraction: float = 0.5,
    n_preknowledge: int = 25,
    compromised_fraction: float = 0.2,
    preknowledge_speedup: float = 4.0,
    params: ItemParameters | None = None,
    rng: np.random.Generator | int | None = None,
) -> SimulatedSession:
    """Simulate one session: honest candidates, planted copiers and a pre-knowledge group.

    Honest answers: correct with ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` (parameters from
    :func:`scoring.simulate.simulate_parameters`, θ ~ N(0, 1), responses from
    :func:`scoring.simulate.simulate_responses`), otherwise a distractor drawn with the item's
    shares (Dirichlet(2, ..., 2) per item). Times: ``log T = β_j - τ_i + ε``, ε ~ N(0, α_j⁻²),
    β ~ N(3.8, 0.35²) (about 45 s), α ~ U(1.5, 2.5), τ ~ N(0, 0.25²) (van der Linden 2006).

    Copiers (distinct persons, each with a distinct honest source) take the source's option on a
    random ``copy_fraction`` of the items the source answered. The pre-knowledge group answers the
    compromised items correctly and ``preknowledge_speedup`` times faster. The three groups are
    disjoint.

    Parameters
    ----------
    n_persons, n_items : int
    model : {"2pl", "3pl"}
    n_options : int or (low, high)
        Options per item, fixed or drawn uniformly from low..high.
    n_copiers : int
    copy_fraction : float
    n_preknowledge : int
    compromised_fraction : float
        Share of items known in advance.
    preknowledge_speedup : float
    params : ItemParameters, optional
        Use these items instead of drawing new ones.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    SimulatedSession
    """
    rng = random_state(rng)
    if 2 * n_copiers + n_preknowledge > n_persons:
        raise ValueError("Copiers, sources and the pre-knowledge group need 2 n_copiers + n_preknowledge persons.")
    if not 0 <= copy_fraction <= 1 or not 0 <= compromised_fraction <= 1:
        raise ValueError("copy_fraction and compromised_fraction must be in [0, 1].")
    if params is None:
        params = simulate_parameters(n_items, model, rng=rng)
    elif params.n_items != n_items or (params.n_categories != 2).any():
        raise ValueError(f"params must hold {n_items} dichotomous items.")
    if isinstance(n_options, int):
        k = np.full(n_items, n_options, dtype=np.int64)
    else:
        k = rng.integers(n_options[0], n_options[1] + 1, n_items)
    if (k < 2).any():
        raise ValueError("Items need at least 2 options.")
    width = int(k.max())
    key = rng.integers(0, k)
    shares = np.zeros((n_items, width))
    for j in range(n_items):  # a few hundred items at most; Dirichlet has no batched form
        d = rng.dirichlet(np.full(k[j] - 1, 2.0))
        shares[j, [o for o in range(k[j]) if o != key[j]]] = d
    theta = rng.normal(0.0, 1.0, n_persons)
    correct = simulate_responses(params, theta, rng=rng) == 1.0
    cum = np.cumsum(shares, axis=1)
    u = rng.random((n_persons, n_items))
    distractor = (u[:, :, None] > cum[None, :, :]).sum(axis=2)
    distractor = np.minimum(distractor, k[None, :] - 1)
    choices = np.where(correct, key[None, :], distractor).astype(np.int64)

    alpha = rng.uniform(1.5, 2.5, n_items)
    beta = rng.normal(3.8, 0.35, n_items)
    tau = rng.normal(0.0, 0.25, n_persons)
    log_t = beta[None, :] - tau[:, None] + rng.normal(size=(n_persons, n_items)) / alpha[None, :]

    order = rng.permutation(n_persons)
    copiers, sources = order[:n_copiers], order[n_copiers : 2 * n_copiers]
    knowers = order[2 * n_copiers : 2 * n_copiers + n_preknowledge]
    source = np.full(n_persons, -1, dtype=np.int64)
    source[copiers] = sources
    n_copy = int(round(copy_fraction * n_items))
    for c, s in zip(copiers, sources, strict=True):  # n_copiers rows, not a hot path
        items = rng.choice(n_items, n_copy, replace=False)
        choices[c, items] = choices[s, items]

    compromised = np.zeros(n_items, dtype=bool)
    compromised[rng.choice(n_items, int(round(compromised_fraction * n_items)), replace=False)] = True
    pre = np.zeros(n_persons, dtype=bool)
    pre[knowers] = True
    block = pre[:, None] & compromised[None, :]
    choices = np.where(block, key[None, :], choices)
    log_t = np.where(block, log_t - np.log(preknowledge_speedup), log_t)
    return SimulatedSession(
        readonly(choices),
        readonly(np.exp(log_t)),
        readonly(key),
        readonly(k),
        readonly(shares),
        params,
        readonly(theta),
        readonly(alpha),
        readonly(beta),
        readonly(tau),
        readonly(source),
        readonly(pre),
        readonly(compromised),
    )


@dataclass(frozen=True)
class DetectionReport:
    """Detection rates on one simulated session.

    Attributes
    ----------
    copy_power : float
        Share of planted copiers whose pair with their true source is flagged.
    copy_fpr : float
        Share of uninvolved candidates (not a copier, a source or in the pre-knowledge group)
        flagged with any source.
    source_flag_rate : float
        Share of sources flagged as copiers (omega cannot tell who copied from whom well).
    pair_threshold : float
        Per-pair p-value threshold used, ``alpha / (n_persons - 1)``.
    rt_power : float
        Share of the pre-knowledge group with l_t p-value below ``alpha``.
    rt_fpr : float
        Share of everyone else flagged by l_t.
    lz_power, lz_fpr : float
        The same for lz* (lower tail, p < alpha).
    index : CopyingIndex
    rt : ResponseTimeAberrance
    fit : PersonFit
    """

    copy_power: float
    copy_fpr: float
    source_flag_rate: float
    pair_threshold: float
    rt_power: float
    rt_fpr: float
    lz_power: float
    lz_fpr: float
    index: CopyingIndex
    rt: ResponseTimeAberrance
    fit: PersonFit


def evaluate_detection(
    session: SimulatedSession, *, alpha: float = 0.01, ability_method: str = "wle"
) -> DetectionReport:
    """Run the forensics on a simulated session as production would, and score the detections.

    θ̂ by the engine (:func:`scoring.ability.estimate_ability`, ``ability_method``) from each
    candidate's own scored choices with the true item parameters (in production: the calibrated
    bank's); distractor shares from the session itself. A candidate is flagged for copying when
    some source gives ``p < alpha / (n_persons - 1)`` (Bonferroni over the n - 1 possible
    sources, so under the null each candidate is flagged with probability at most ``alpha``).

    Parameters
    ----------
    session : SimulatedSession
    alpha : float
        Per-candidate false-positive rate wanted.
    ability_method : {"wle", "mle", "map"}

    Returns
    -------
    DetectionReport
    """
    x = np.asarray(session.choices)
    n = x.shape[0]
    responses = score_choices(x, session.key)
    theta = estimate_ability(responses, session.params, ability_method).theta
    theta = np.where(np.isfinite(theta), theta, 0.0)
    index = omega(x, session.key, correct_probabilities(session.params, theta), n_options=session.n_options)
    threshold = alpha / max(n - 1, 1)
    flagged_pairs = np.asarray(index.p_value) < threshold
    flagged = flagged_pairs.any(axis=1)
    source = np.asarray(session.source)
    copiers = np.flatnonzero(source >= 0)
    is_source = np.zeros(n, dtype=bool)
    is_source[source[copiers]] = True
    pre = np.asarray(session.preknowledge)
    # the pre-knowledge group shares keyed answers on the compromised items, so its members match
    # each other beyond chance too: they are left out of the copying false-positive rate
    uninvolved = (source < 0) & ~is_source & ~pre
    power = float(flagged_pairs[copiers, source[copiers]].mean()) if copiers.size else float("nan")

    rt = rt_aberrance(session.times)
    rt_flag = np.asarray(rt.p_value) < alpha
    fit = person_fit(responses, session.params, theta, method=ability_method)
    lz_flag = np.asarray(fit.p_value) < alpha

    def rate(flags: np.ndarray, group: np.ndarray) -> float:
        return float(flags[group].mean()) if group.any() else float("nan")

    return DetectionReport(
        copy_power=power,
        copy_fpr=rate(flagged, uninvolved),
        source_flag_rate=rate(flagged, is_source),
        pair_threshold=threshold,
        rt_power=rate(rt_flag, pre),
        rt_fpr=rate(rt_flag, ~pre),
        lz_power=rate(lz_flag, pre),
        lz_fpr=rate(lz_flag, ~pre & uninvolved),
        index=index,
        rt=rt,
        fit=fit,
    )
