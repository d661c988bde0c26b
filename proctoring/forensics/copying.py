"""Answer copying: Wollack's omega (Wollack 1997) for every ordered pair of candidates at once.

:func:`omega` and :func:`omega_from_option_probabilities` give the index, :func:`strongest_sources`
the most suspicious source of each candidate. The option-probability models they rest on are here
too: :func:`distractor_shares`, :func:`option_probabilities` (dichotomous items, logistic metric,
D = 1, ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))``) and :func:`weighted_option_probabilities`
(polytomous weighted-option items, GRM / GPCM of :mod:`scoring.models`).

Inputs shared by these functions:

``choices`` : int ndarray of shape (n_persons, n_items)
    The option each person chose on each item (0-based), -1 = not administered or unanswered.
``key`` : int ndarray of shape (n_items,)
    The correct option of each item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from scoring.arrays import FloatArray, readonly
from scoring.models import ItemParameters, probabilities

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


def _n_options(choices: np.ndarray, key: np.ndarray, n_options: npt.ArrayLike | None) -> np.ndarray:
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
    shares: FloatArray = counts / counts.sum(axis=1, keepdims=True)
    return shares


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
    out: FloatArray = (1.0 - p)[:, :, None] * s[None, :, :]
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
    pv = ndtr(-om)
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
    p = ndtr(-best_omega)
    adjusted = np.minimum(1.0, p * max(n - 1, 1))
    return SourceMatch(readonly(source), readonly(best_omega), readonly(p), readonly(adjusted))
