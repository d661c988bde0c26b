"""Statistical forensics for cheating detection: answer copying, person fit, response times.

Pure numpy/scipy on top of the IRT engine in :mod:`scoring`; no web framework, no database.
Persons are rows everywhere. Dichotomous items follow (logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

and polytomous (weighted-option) items the GRM / GPCM of :mod:`scoring.models`.

Contents, each with its source:

* Answer copying, Wollack's omega (Wollack 1997) for every ordered pair of candidates at once:
  :func:`omega`, :func:`omega_from_option_probabilities`, :func:`strongest_sources`, with the
  option-probability models :func:`distractor_shares`, :func:`option_probabilities` and
  :func:`weighted_option_probabilities`.
* Person fit lz* (Snijders 2001), through the engine's :func:`scoring.fit.lz_star`:
  :func:`person_fit`.
* Response times under van der Linden's (2006) lognormal model: :func:`fit_lognormal_rt`,
  the residual aberrance statistic of van der Linden & Guo (2008), :func:`rt_aberrance`, and
  rapid guessing with normative thresholds (Wise & Ma 2012), :func:`rapid_guesses`.
* Validation by simulation with planted copiers and pre-knowledge: :func:`simulate_session`,
  :func:`evaluate_detection`.

Inputs shared by the answer-copying functions:

``choices`` : int ndarray of shape (n_persons, n_items)
    The option each person chose on each item (0-based), -1 = not administered or unanswered.
``key`` : int ndarray of shape (n_items,)
    The correct option of each item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, norm

from scoring.ability import estimate_ability
from scoring.arrays import random_state, readonly
from scoring.fit import lz_star
from scoring.models import ItemParameters, LatentDistribution, probabilities
from scoring.simulate import simulate_parameters, simulate_responses

__all__ = [
    "CopyingIndex",
    "DetectionReport",
    "LognormalFit",
    "PersonFit",
    "RapidGuessing",
    "ResponseTimeAberrance",
    "SimulatedSession",
    "SourceMatch",
    "correct_probabilities",
    "distractor_shares",
    "evaluate_detection",
    "fit_lognormal_rt",
    "omega",
    "omega_from_option_probabilities",
    "option_probabilities",
    "person_fit",
    "rapid_guesses",
    "rt_aberrance",
    "score_choices",
    "simulate_session",
    "strongest_sources",
    "weighted_option_probabilities",
]


# ---------------------------------------------------------------------------- input checks


def _check_choices(choices: np.ndarray) -> np.ndarray:
    x = np.asarray(choices)
    if x.ndim != 2:
        raise ValueError(f"choices must have shape (n_persons, n_items); got {x.shape}.")
    if x.size and not np.issubdtype(x.dtype, np.integer):
        if not np.issubdtype(x.dtype, np.floating) or not np.all(x == np.floor(x)):
            raise ValueError("choices must hold integer option indices (-1 = unanswered).")
    x = x.astype(np.int64, copy=False)
    if x.size and x.min() < -1:
        row, col = np.argwhere(x < -1)[0]
        raise ValueError(f"choices row {row}, column {col}: {x[row, col]} is not an option (-1 = unanswered).")
    return x


def _check_key(key: np.ndarray, n_items: int) -> np.ndarray:
    k = np.asarray(key)
    if k.shape != (n_items,):
        raise ValueError(f"key must have shape ({n_items},); got {k.shape}.")
    if k.size and (not np.issubdtype(k.dtype, np.integer) or k.min() < 0):
        raise ValueError("key must hold non-negative integer option indices.")
    return k.astype(np.int64, copy=False)


def _n_options(choices: np.ndarray, key: np.ndarray, n_options) -> np.ndarray:
    """Options per item, shape (n_items,), checked against the data."""
    n_items = choices.shape[1]
    if n_options is None:
        top = max(int(choices.max()) if choices.size else -1, int(key.max()) if key.size else -1)
        k = np.full(n_items, max(top + 1, 2), dtype=np.int64)
    else:
        k = np.broadcast_to(np.asarray(n_options), (n_items,)).astype(np.int64)
        if (k < 2).any():
            raise ValueError("Every item needs at least 2 options.")
    if key.size and (key >= k).any():
        j = int(np.flatnonzero(key >= k)[0])
        raise ValueError(f"key of item {j} is {key[j]}, but the item has {k[j]} options.")
    bad = choices >= k[None, :]
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"choices row {row}, column {col}: option {choices[row, col]} >= {k[col]} options.")
    return k


# ---------------------------------------------------------------------------- option probabilities


def score_choices(choices: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Dichotomous scores from chosen options, in the engine's response format.

    Parameters
    ----------
    choices : int ndarray of shape (n_persons, n_items); -1 = unanswered
    key : int ndarray of shape (n_items,)

    Returns
    -------
    ndarray of shape (n_persons, n_items)
        1.0 where the key was chosen, 0.0 for another option, NaN where unanswered.
    """
    x = _check_choices(choices)
    k = _check_key(key, x.shape[1])
    return np.where(x >= 0, (x == k[None, :]).astype(float), np.nan)


def correct_probabilities(params: ItemParameters, theta: np.ndarray) -> np.ndarray:
    """P(correct) of each person on each dichotomous item, from :func:`scoring.models.probabilities`.

    ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``.

    Parameters
    ----------
    params : ItemParameters
        Dichotomous items only.
    theta : ndarray of shape (n_persons,)

    Returns
    -------
    ndarray of shape (n_persons, n_items)
    """
    if (params.n_categories != 2).any():
        raise ValueError("correct_probabilities needs dichotomous items; use weighted_option_probabilities.")
    return probabilities(params, theta)[:, :, 1]


def distractor_shares(
    choices: np.ndarray,
    key: np.ndarray,
    n_options: int | np.ndarray | None = None,
    *,
    smoothing: float = 0.5,
) -> np.ndarray:
    """Share of each distractor among the wrong answers to each item, with additive smoothing.

    ``share_jo = (n_jo + s) / (n_wrong_j + s (K_j - 1))`` for every wrong option o of item j (0 for
    the key and for options the item does not have). Items nobody answered wrongly get equal
    shares. These are the empirical distractor proportions that replace the nominal response
    model in :func:`option_probabilities`.

    Parameters
    ----------
    choices : int ndarray of shape (n_persons, n_items); -1 = unanswered
    key : int ndarray of shape (n_items,)
    n_options : int or int ndarray of shape (n_items,), optional
        Options per item; default one more than the largest option seen.
    smoothing : float
        Pseudo-count s added to every distractor (> 0 keeps every share positive).

    Returns
    -------
    ndarray of shape (n_items, max_options)
        Rows sum to 1 over the distractors.
    """
    x = _check_choices(choices)
    k_key = _check_key(key, x.shape[1])
    k = _n_options(x, k_key, n_options)
    if smoothing <= 0:
        raise ValueError("smoothing must be positive.")
    n_items, width = x.shape[1], int(k.max()) if k.size else 2
    counts = np.zeros((n_items, width))
    wrong = (x >= 0) & (x != k_key[None, :])
    rows, cols = np.nonzero(wrong)
    np.add.at(counts, (cols, x[rows, cols]), 1.0)
    real = np.arange(width)[None, :] < k[:, None]
    distractor = real & (np.arange(width)[None, :] != k_key[:, None])
    counts = np.where(distractor, counts + smoothing, 0.0)
    return counts / counts.sum(axis=1, keepdims=True)


def option_probabilities(p_correct: np.ndarray, key: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Probability that each person chooses each option: IRT for the key, empirical shares otherwise.

    ``P(o | θ_i) = P_j(θ_i)`` for the key and ``(1 - P_j(θ_i)) share_jo`` for a distractor, with
    ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` from the engine. This replaces Wollack's (1997)
    nominal response model (Bock 1972) when only 2PL/3PL parameters are calibrated: the chance of
    the right answer depends on ability as the calibrated model says, while the choice among wrong
    answers uses the group's distractor proportions, in the spirit of the empirical indices
    (K index, Holland 1996; K1/K2, Sotaridona & Meijer 2002). It ignores that weaker candidates
    favour some distractors more than stronger ones do, which the NRM would capture.

    Parameters
    ----------
    p_correct : ndarray of shape (n_persons, n_items)
    key : int ndarray of shape (n_items,)
    shares : ndarray of shape (n_items, n_options)
        From :func:`distractor_shares`.

    Returns
    -------
    ndarray of shape (n_persons, n_items, n_options)
    """
    p = np.asarray(p_correct, dtype=float)
    if p.ndim != 2:
        raise ValueError(f"p_correct must have shape (n_persons, n_items); got {p.shape}.")
    k = _check_key(key, p.shape[1])
    s = np.asarray(shares, dtype=float)
    if s.ndim != 2 or s.shape[0] != p.shape[1] or (k.size and (k >= s.shape[1]).any()):
        raise ValueError(f"shares must have shape ({p.shape[1]}, n_options) with room for the key; got {s.shape}.")
    out = (1.0 - p)[:, :, None] * s[None, :, :]
    out[:, np.arange(p.shape[1]), k] = p
    return out


def weighted_option_probabilities(category_probs: np.ndarray, option_scores: np.ndarray) -> np.ndarray:
    """Option probabilities for weighted-option items (each option carries a score category).

    Items like TKP, where every option earns a score (e.g. 1-5) and the engine models the scored
    category with the GRM (Samejima 1969) or GPCM (Muraki 1992): ``P(o | θ) = P(X = s(o) | θ) /
    m(s(o))`` where s(o) is option o's category and m the number of options sharing it.

    Parameters
    ----------
    category_probs : ndarray of shape (n_persons, n_items, n_categories)
        From :func:`scoring.models.probabilities` at each person's θ (persons first).
    option_scores : int ndarray of shape (n_items, n_options)
        0-based category of each option; -1 for options an item does not have.

    Returns
    -------
    ndarray of shape (n_persons, n_items, n_options)
    """
    cp = np.asarray(category_probs, dtype=float)
    sc = np.asarray(option_scores)
    if cp.ndim != 3 or sc.ndim != 2 or sc.shape[0] != cp.shape[1]:
        raise ValueError(
            f"category_probs must be (n_persons, n_items, n_categories) and option_scores (n_items, "
            f"n_options) for the same items; got {cp.shape} and {sc.shape}."
        )
    if not np.issubdtype(sc.dtype, np.integer) or (sc >= cp.shape[2]).any() or (sc < -1).any():
        raise ValueError("option_scores must be integer categories 0..n_categories-1, or -1.")
    n_items, n_opt = sc.shape
    real = sc >= 0
    safe = np.where(real, sc, 0)
    same = (safe[:, :, None] == safe[:, None, :]) & real[:, :, None] & real[:, None, :]
    multiplicity = np.maximum(same.sum(axis=2), 1)
    out = cp[:, np.arange(n_items)[:, None], safe] / multiplicity[None, :, :]
    return np.where(real[None, :, :], out, 0.0)


# ---------------------------------------------------------------------------- answer copying


@dataclass(frozen=True)
class CopyingIndex:
    """Wollack's omega for every ordered pair (copier row, source column).

    Attributes
    ----------
    omega : ndarray of shape (n_persons, n_persons)
        ``(h - E[h]) / sd(h)``; NaN on the diagonal and where the pair shares no item.
    p_value : ndarray of shape (n_persons, n_persons)
        One-sided upper-tail normal p-value of omega.
    matches : ndarray of shape (n_persons, n_persons)
        Observed identical responses h (identical wrong options included).
    expected : ndarray of shape (n_persons, n_persons)
        E[h] under independence, from the copier's option probabilities.
    n_common : ndarray of int, shape (n_persons, n_persons)
        Items answered by both.
    """

    omega: np.ndarray
    p_value: np.ndarray
    matches: np.ndarray
    expected: np.ndarray
    n_common: np.ndarray


def omega_from_option_probabilities(choices: np.ndarray, option_probs: np.ndarray) -> CopyingIndex:
    """Wollack's (1997) omega for all ordered pairs, from per-person option probabilities.

    For copier c and source s, over the items both answered (Wollack 1997, "A nominal response
    model approach for detecting answer copying", Applied Psychological Measurement 21(4))::

        h_cs   = sum_j [u_cj = u_sj]
        E[h]   = sum_j P_c(u_sj),   Var[h] = sum_j P_c(u_sj) (1 - P_c(u_sj))
        ω_cs   = (h_cs - E[h]) / sqrt(Var[h]),   p = 1 - Φ(ω)

    where P_c(o) is the probability that c, answering independently at ability θ_c, picks option
    o. The source's responses are taken as fixed, so ω is not symmetric. Unanswered items (-1)
    of either person are left out (an omit is not counted as a match).

    All pairs come from three matrix products: with S the one-hot (n, J K) matrix of choices and
    P the (n, J K) matrix of option probabilities (zero where the copier did not answer),
    ``h = S Sᵀ``, ``E = P Sᵀ`` and ``Var = (P ⊙ (1 - P)) Sᵀ``.

    Parameters
    ----------
    choices : int ndarray of shape (n_persons, n_items); -1 = unanswered
    option_probs : ndarray of shape (n_persons, n_items, n_options)
        P(person i chooses option o on item j), e.g. from :func:`option_probabilities` or
        :func:`weighted_option_probabilities`. Only entries of answered items are used.

    Returns
    -------
    CopyingIndex
    """
    x = _check_choices(choices)
    p = np.asarray(option_probs, dtype=float)
    if p.ndim != 3 or p.shape[:2] != x.shape:
        raise ValueError(f"option_probs must have shape ({x.shape[0]}, {x.shape[1]}, n_options); got {p.shape}.")
    n, n_items = x.shape
    width = p.shape[2]
    if x.size and x.max() >= width:
        raise ValueError(f"choices hold option {x.max()}, but option_probs has {width} options.")
    answered = x >= 0
    chosen = np.where(answered, x, 0)
    probs_used = np.take_along_axis(p, chosen[:, :, None], axis=2)[:, :, 0]
    if not np.all(np.isfinite(probs_used[answered])) or not np.all(p[np.isfinite(p)] >= 0):
        raise ValueError("option_probs must be finite and non-negative for answered items.")
    p = np.where(answered[:, :, None] & np.isfinite(p), np.clip(p, 0.0, 1.0), 0.0).reshape(n, n_items * width)
    onehot = np.zeros((n, n_items * width))
    rows, cols = np.nonzero(answered)
    onehot[rows, cols * width + x[rows, cols]] = 1.0
    matches = onehot @ onehot.T
    expected = p @ onehot.T
    variance = (p * (1.0 - p)) @ onehot.T
    a = answered.astype(float)
    common = np.rint(a @ a.T).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        om = np.where(variance > 1e-12, (matches - expected) / np.sqrt(variance), np.nan)
    np.fill_diagonal(om, np.nan)
    pv = norm.sf(om)
    return CopyingIndex(readonly(om), readonly(pv), readonly(matches), readonly(expected), readonly(common))


def omega(
    choices: np.ndarray,
    key: np.ndarray,
    p_correct: np.ndarray,
    shares: np.ndarray | None = None,
    *,
    n_options: int | np.ndarray | None = None,
    smoothing: float = 0.5,
) -> CopyingIndex:
    """Wollack's (1997) omega for every ordered pair of candidates of a session (dichotomous items).

    ``ω_cs = (h_cs - E[h_cs]) / sd(h_cs)`` with h the number of identical options (identical wrong
    options included) and the moments from the copier's option probabilities
    (:func:`option_probabilities`: ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for the key,
    ``(1 - P(θ))`` times the distractor's share among wrong answers otherwise). See
    :func:`omega_from_option_probabilities` for the formulas and the matrix-product layout.

    Parameters
    ----------
    choices : int ndarray of shape (n_persons, n_items); -1 = unanswered
    key : int ndarray of shape (n_items,)
    p_correct : ndarray of shape (n_persons, n_items)
        P(correct) at each person's θ̂, e.g. :func:`correct_probabilities`; θ̂ should be estimated
        from the candidate's own responses, as Wollack did.
    shares : ndarray of shape (n_items, n_options), optional
        Distractor shares; default :func:`distractor_shares` of ``choices`` itself.
    n_options : int or int ndarray of shape (n_items,), optional
    smoothing : float
        Pseudo-count of :func:`distractor_shares`.

    Returns
    -------
    CopyingIndex
        Copier rows, source columns.
    """
    x = _check_choices(choices)
    k = _check_key(key, x.shape[1])
    p = np.asarray(p_correct, dtype=float)
    if p.shape != x.shape:
        raise ValueError(f"p_correct must have the shape of choices {x.shape}; got {p.shape}.")
    answered = x >= 0
    if not np.all((p[answered] >= 0) & (p[answered] <= 1)):
        raise ValueError("p_correct must be a probability for every answered item.")
    n_opt = _n_options(x, k, n_options)
    if shares is None:
        shares = distractor_shares(x, k, n_opt, smoothing=smoothing)
    return omega_from_option_probabilities(x, option_probabilities(np.where(answered, p, 0.5), k, shares))


@dataclass(frozen=True)
class SourceMatch:
    """The most suspicious source of each candidate.

    Attributes
    ----------
    source : ndarray of int, shape (n_persons,)
        Column of the largest omega; -1 when the candidate shares no item with anyone.
    omega : ndarray of shape (n_persons,)
    p_value : ndarray of shape (n_persons,)
        Unadjusted one-sided p of that pair.
    p_adjusted : ndarray of shape (n_persons,)
        Bonferroni over the candidate's possible sources, ``min(1, p (n_persons - 1))``: flag when
        below the per-candidate false-positive rate wanted (e.g. 0.01).
    """

    source: np.ndarray
    omega: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray


def strongest_sources(index: CopyingIndex) -> SourceMatch:
    """For each candidate (as copier) the source with the smallest p-value.

    Ranks by omega rather than p so that pairs whose p underflows to 0 still order correctly.

    Parameters
    ----------
    index : CopyingIndex

    Returns
    -------
    SourceMatch
    """
    om = np.asarray(index.omega)
    n = om.shape[0]
    filled = np.where(np.isnan(om), -np.inf, om)
    best = filled.argmax(axis=1) if n else np.zeros(0, np.int64)
    value = filled[np.arange(n), best] if n else np.zeros(0)
    none = ~np.isfinite(value)
    source = np.where(none, -1, best)
    best_omega = np.where(none, np.nan, value)
    p = norm.sf(best_omega)
    adjusted = np.minimum(1.0, p * max(n - 1, 1))
    return SourceMatch(readonly(source), readonly(best_omega), readonly(p), readonly(adjusted))


# ---------------------------------------------------------------------------- person fit


@dataclass(frozen=True)
class PersonFit:
    """lz* person fit (Snijders 2001).

    Attributes
    ----------
    theta : ndarray of shape (n_persons,)
        The ability estimates lz* was evaluated at.
    lz_star : ndarray of shape (n_persons,)
        NaN where the pattern is extreme (all wrong or all right) or nothing was answered.
    p_value : ndarray of shape (n_persons,)
        Lower-tail normal p-value (misfit gives large negative lz*).
    """

    theta: np.ndarray
    lz_star: np.ndarray
    p_value: np.ndarray


def person_fit(
    responses: np.ndarray,
    params: ItemParameters,
    theta: np.ndarray | None = None,
    *,
    method: str = "wle",
    prior: LatentDistribution | None = None,
) -> PersonFit:
    """lz* (Snijders 2001, Psychometrika 66) at estimated abilities, by :func:`scoring.fit.lz_star`.

    Snijders' correction of lz (Drasgow, Levine & Williams 1985) for the estimation of θ makes the
    statistic asymptotically N(0, 1) under the model; ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``.
    The engine implements it for MLE, WLE and MAP (Magis, Raîche & Béland 2012); this wrapper
    estimates θ with the engine when it is not given and blanks out extreme patterns, whose
    likelihood carries no information about fit.

    Parameters
    ----------
    responses : ndarray of shape (n_persons, n_items)
        0/1, NaN = not administered (:func:`score_choices` turns choices into this).
    params : ItemParameters
        Dichotomous items.
    theta : ndarray of shape (n_persons,), optional
        Estimates made with ``method``; estimated by :func:`scoring.ability.estimate_ability` if
        omitted.
    method : {"wle", "mle", "map"}
    prior : LatentDistribution, optional
        The MAP prior.

    Returns
    -------
    PersonFit
    """
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2 or x.shape[1] != params.n_items:
        raise ValueError(f"responses must have shape (n_persons, {params.n_items}); got {x.shape}.")
    if theta is None:
        theta = estimate_ability(x, params, method, prior=prior).theta
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (x.shape[0],):
        raise ValueError(f"theta must have shape ({x.shape[0]},); got {theta.shape}.")
    answered = ~np.isnan(x)
    right = np.where(answered, x, 0.0).sum(axis=1)
    informative = (right > 0) & (right < answered.sum(axis=1)) & np.isfinite(theta)
    value = np.full(x.shape[0], np.nan)
    if informative.any():
        value[informative] = lz_star(x[informative], params, theta[informative], method=method, prior=prior)
    return PersonFit(readonly(theta.copy()), readonly(value), readonly(norm.cdf(value)))


# ---------------------------------------------------------------------------- response times


def _check_times(times: np.ndarray) -> np.ndarray:
    t = np.asarray(times, dtype=float)
    if t.ndim != 2:
        raise ValueError(f"times must have shape (n_persons, n_items); got {t.shape}.")
    finite = np.isfinite(t)
    if np.isinf(t).any() or (t[finite] <= 0).any():
        row, col = np.argwhere(np.isinf(t) | (finite & (t <= 0)))[0]
        raise ValueError(f"times row {row}, column {col}: {t[row, col]} is not a positive number of seconds.")
    return t


@dataclass(frozen=True)
class LognormalFit:
    """Fitted lognormal response-time model (van der Linden 2006).

    Attributes
    ----------
    alpha : ndarray of shape (n_items,)
        Time discrimination (1 / residual SD of log time); NaN for items with < 2 times.
    beta : ndarray of shape (n_items,)
        Time intensity (mean log seconds of a person of average speed).
    tau : ndarray of shape (n_persons,)
        Speed, centred to mean 0; NaN for persons with no usable time.
    n_iter : int
    converged : bool
    """

    alpha: np.ndarray
    beta: np.ndarray
    tau: np.ndarray
    n_iter: int
    converged: bool


def _speed(y: np.ndarray, used: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares (= ML) speeds and their precisions A_i = sum_j α_j²."""
    w = np.where(used, alpha[None, :] ** 2, 0.0)
    precision = w.sum(axis=1)
    resid = np.where(used, beta[None, :] - y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(precision > 0, (w * resid).sum(axis=1) / precision, np.nan)
    return tau, precision


def fit_lognormal_rt(times: np.ndarray, *, max_iter: int = 500, tol: float = 1e-6) -> LognormalFit:
    """Estimate van der Linden's (2006) lognormal response-time model by alternating ML.

    ``log T_ij = β_j - τ_i + ε_ij,  ε_ij ~ N(0, α_j⁻²)`` (van der Linden 2006, JEBS 31(2); the
    first level of his 2007 hierarchical framework, Psychometrika 72). Speeds and item parameters
    are treated as fixed effects, identified by mean(τ) = 0, and estimated by alternating closed-form
    steps until they stop changing:

    * ``τ_i = sum_j α_j² (β_j - y_ij) / A_i`` with ``A_i = sum_j α_j²`` (the ML speed given items);
    * ``β_j = mean_i (y_ij + τ_i)``;
    * ``α_j⁻² = mean_i ((y_ij + τ_i - β_j)² + 1 / A_i)``: the residual variance plus 1 / A_i, the
      variance the estimated τ_i absorbed, which removes the downward bias of joint ML
      (E[r_ij²] = α_j⁻² - 1 / A_i for the WLS residual).

    Missing times (NaN) are skipped. Items with fewer than two times get NaN parameters and are not
    used for τ.

    Parameters
    ----------
    times : ndarray of shape (n_persons, n_items)
        Seconds, NaN = missing.
    max_iter : int
    tol : float
        Largest change of any parameter that counts as converged.

    Returns
    -------
    LognormalFit
    """
    t = _check_times(times)
    n, n_items = t.shape
    observed = np.isfinite(t)
    with np.errstate(divide="ignore"):
        y = np.where(observed, np.log(np.where(observed, t, 1.0)), np.nan)
    counts = observed.sum(axis=0)
    usable = counts >= 2
    used = observed & usable[None, :]
    n_used = used.sum(axis=0)
    alpha = np.where(usable, 1.0, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(usable, np.where(used, y, 0.0).sum(axis=0) / np.maximum(n_used, 1), np.nan)
    tau = np.full(n, np.nan)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        tau_new, precision = _speed(y, used, np.nan_to_num(alpha), np.nan_to_num(beta))
        shift = np.nanmean(tau_new) if np.isfinite(tau_new).any() else 0.0
        tau_new = tau_new - shift
        shifted = np.where(used, y + tau_new[:, None], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            beta_new = np.where(usable, shifted.sum(axis=0) / np.maximum(n_used, 1), np.nan)
            resid2 = np.where(used, (shifted - np.nan_to_num(beta_new)[None, :]) ** 2, 0.0)
            absorbed = np.where(used, 1.0 / np.where(precision > 0, precision, np.inf)[:, None], 0.0)
            var = (resid2 + absorbed).sum(axis=0) / np.maximum(n_used, 1)
            alpha_new = np.where(usable, 1.0 / np.sqrt(np.maximum(var, 1e-8)), np.nan)
        change = max(
            np.nanmax(np.abs(tau_new - tau), initial=0.0) if it > 1 else np.inf,
            np.nanmax(np.abs(beta_new - beta), initial=0.0),
            np.nanmax(np.abs(alpha_new - alpha), initial=0.0),
        )
        tau, beta, alpha = tau_new, beta_new, alpha_new
        if change < tol:
            converged = True
            break
    return LognormalFit(readonly(alpha), readonly(beta), readonly(tau), it, converged)


@dataclass(frozen=True)
class ResponseTimeAberrance:
    """Residual-based response-time aberrance (van der Linden & Guo 2008).

    Attributes
    ----------
    z : ndarray of shape (n_persons, n_items)
        ``α_j (log t_ij - (β_j - τ_i))``; negative = faster than expected. NaN where missing.
    l_t : ndarray of shape (n_persons,)
        ``sum_j z_ij²``.
    df : ndarray of int, shape (n_persons,)
        Times used minus one (for the estimated τ_i).
    p_value : ndarray of shape (n_persons,)
        Upper-tail χ²(df) p-value; NaN when df < 1.
    n_fast : ndarray of int, shape (n_persons,)
        Responses with z below ``fast_z`` (unusually fast, e.g. pre-knowledge).
    """

    z: np.ndarray
    l_t: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    n_fast: np.ndarray


def rt_aberrance(times: np.ndarray, fit: LognormalFit | None = None, *, fast_z: float = -1.96) -> ResponseTimeAberrance:
    """Person-level aberrance of response times under the lognormal model.

    Standardised residuals ``z_ij = α_j (log t_ij - (β_j - τ̂_i))`` and ``l_t = sum_j z_ij²``
    (van der Linden & Guo 2008, "Bayesian procedures for identifying aberrant response-time
    patterns", Psychometrika 73; here the frequentist plug-in version with estimated parameters,
    not their posterior predictive check). Under the model with known item parameters and the ML
    τ̂_i, l_t ~ χ²(n_i - 1): one degree of freedom goes to τ̂_i (χ²(n_i) holds for a known τ;
    with τ̂ it would be conservative). Pre-knowledge (a block of items answered far faster) and
    erratic timing both inflate l_t; ``n_fast`` says which direction.

    Parameters
    ----------
    times : ndarray of shape (n_persons, n_items)
        Seconds, NaN = missing.
    fit : LognormalFit, optional
        Item parameters (and speeds) to use; default :func:`fit_lognormal_rt` of ``times``.
        Speeds are always re-estimated from ``times`` with the fit's item parameters.
    fast_z : float
        Threshold of ``n_fast``.

    Returns
    -------
    ResponseTimeAberrance
    """
    t = _check_times(times)
    fit = fit or fit_lognormal_rt(t)
    alpha, beta = np.asarray(fit.alpha, float), np.asarray(fit.beta, float)
    if alpha.shape != (t.shape[1],) or beta.shape != (t.shape[1],):
        raise ValueError(f"fit has {alpha.shape[0]} items, times has {t.shape[1]}.")
    used = np.isfinite(t) & np.isfinite(alpha)[None, :] & np.isfinite(beta)[None, :]
    y = np.log(np.where(used, t, 1.0))
    tau, _ = _speed(y, used, np.nan_to_num(alpha), np.nan_to_num(beta))
    z = np.where(used, alpha[None, :] * (y - beta[None, :] + tau[:, None]), np.nan)
    l_t = np.where(used, z, 0.0) ** 2
    l_t = l_t.sum(axis=1)
    df = used.sum(axis=1) - 1
    with np.errstate(invalid="ignore"):
        p = np.where(df >= 1, chi2.sf(l_t, np.maximum(df, 1)), np.nan)
        n_fast = (np.where(used, z, 0.0) < fast_z).sum(axis=1)
    l_t = np.where(df >= 1, l_t, np.nan)
    return ResponseTimeAberrance(readonly(z), readonly(l_t), readonly(np.maximum(df, 0)), readonly(p), readonly(n_fast))


@dataclass(frozen=True)
class RapidGuessing:
    """Rapid guesses by normative thresholds (Wise & Ma 2012).

    Attributes
    ----------
    thresholds : ndarray of shape (n_items,)
        Seconds; NaN for items without times.
    is_rapid : ndarray of bool, shape (n_persons, n_items)
    count : ndarray of int, shape (n_persons,)
    proportion : ndarray of shape (n_persons,)
        Rapid guesses over timed responses (1 - response-time effort, Wise & Kong 2005); NaN
        when the person has no timed response.
    """

    thresholds: np.ndarray
    is_rapid: np.ndarray
    count: np.ndarray
    proportion: np.ndarray


def rapid_guesses(
    times: np.ndarray,
    *,
    fraction: float = 0.10,
    center: str = "mean",
    max_threshold: float | None = 10.0,
) -> RapidGuessing:
    """Flag rapid guesses with the normative threshold method NTxx (Wise & Ma 2012).

    The threshold of item j is ``fraction`` (10% for NT10) of the item's typical time over all
    candidates, capped at ``max_threshold`` seconds; a response faster than that is a rapid guess.
    Wise & Ma take the mean time and a 10 s cap; ``center="median"`` is more robust to a few very
    slow responses.

    Parameters
    ----------
    times : ndarray of shape (n_persons, n_items)
        Seconds, NaN = missing.
    fraction : float
        In (0, 1).
    center : {"mean", "median"}
    max_threshold : float or None
        Cap in seconds; None for no cap.

    Returns
    -------
    RapidGuessing
    """
    t = _check_times(times)
    if not 0 < fraction < 1:
        raise ValueError("fraction must be in (0, 1).")
    if center not in ("mean", "median"):
        raise ValueError("center must be 'mean' or 'median'.")
    observed = np.isfinite(t)
    any_time = observed.any(axis=0)
    typical = np.full(t.shape[1], np.nan)
    if any_time.any():
        reduce = np.nanmean if center == "mean" else np.nanmedian
        typical[any_time] = reduce(t[:, any_time], axis=0)
    thresholds = fraction * typical
    if max_threshold is not None:
        thresholds = np.minimum(thresholds, max_threshold)
    with np.errstate(invalid="ignore"):
        rapid = observed & (t < thresholds[None, :])
    count = rapid.sum(axis=1)
    n_timed = observed.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        proportion = np.where(n_timed > 0, count / np.maximum(n_timed, 1), np.nan)
    return RapidGuessing(readonly(thresholds), readonly(rapid), readonly(count), readonly(proportion))


# ---------------------------------------------------------------------------- simulation


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
