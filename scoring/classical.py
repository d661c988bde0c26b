"""Classical test theory statistics for item writers.

``responses`` has shape (n_persons, n_items): 1.0/0.0 (or 0..K-1 partial credit), NaN = not
administered. With incomplete designs the "total" of a person is the proportion of the maximum
score on the items they were given, so forms of different length stay comparable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.arrays import FloatArray, readonly

__all__ = [
    "DistractorAnalysis",
    "ItemStatistics",
    "cronbach_alpha",
    "distractor_analysis",
    "item_statistics",
    "kr20",
]


def _as_float(responses: npt.ArrayLike) -> FloatArray:
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2:
        raise ValueError("responses must be a 2-D array (n_persons, n_items).")
    return x


def _correlation(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Pearson correlation of columns of x with columns of y over rows where mask holds."""
    m = mask.astype(float)
    n = m.sum(axis=0)
    xs, ys = np.where(mask, x, 0.0), np.where(mask, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = xs.sum(0) / n, ys.sum(0) / n
        cov = (xs * ys).sum(0) / n - mx * my
        vx = (xs * xs).sum(0) / n - mx * mx
        vy = (ys * ys).sum(0) / n - my * my
        r = cov / np.sqrt(vx * vy)
    return np.where((vx > 1e-15) & (vy > 1e-15), r, np.nan)


@dataclass(frozen=True)
class ItemStatistics:
    """Classical item statistics.

    Attributes
    ----------
    p_value : ndarray of shape (n_items,)
        Mean score divided by the maximum score (proportion correct for 0/1 items).
    point_biserial : ndarray of shape (n_items,)
        Correlation of the item score with the rest score (or the total score when
        ``corrected=False``); NaN when either has no variance.
    n_responses : ndarray of int, shape (n_items,)
    """

    p_value: np.ndarray
    point_biserial: np.ndarray
    n_responses: np.ndarray


def item_statistics(
    responses: np.ndarray, max_scores: Sequence[float] | np.ndarray | None = None, *, corrected: bool = True
) -> ItemStatistics:
    """Item difficulty (p-value) and point-biserial discrimination (Lord & Novick 1968).

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items); NaN = not administered
    max_scores : array_like of shape (n_items,), optional
        Maximum score per item; default the largest observed (at least 1).
    corrected : bool
        Correlate with the rest score (total without the item), the usual choice for item
        review, instead of the total score.

    Returns
    -------
    ItemStatistics
    """
    x = _as_float(responses)
    admin = ~np.isnan(x)
    if max_scores is None:
        top = np.where(admin, x, -np.inf).max(axis=0) if x.shape[0] else np.ones(x.shape[1])
        max_scores = np.maximum(np.where(np.isfinite(top), top, 1.0), 1.0)
    ms = np.broadcast_to(np.asarray(max_scores, dtype=float), (x.shape[1],))
    score = np.where(admin, x, 0.0)
    n = admin.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = score.sum(axis=0) / n / ms
    total = score.sum(axis=1, keepdims=True)
    possible = (admin * ms).sum(axis=1, keepdims=True)
    if corrected:
        rest, rest_max = total - score, possible - admin * ms
    else:
        rest, rest_max = np.broadcast_to(total, x.shape), np.broadcast_to(possible, x.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest_share = np.where(rest_max > 0, rest / rest_max, np.nan)
    mask = admin & np.isfinite(rest_share)
    r = _correlation(score, np.nan_to_num(rest_share), mask)
    return ItemStatistics(readonly(p), readonly(r), readonly(n))


@dataclass(frozen=True)
class DistractorAnalysis:
    """Option choice statistics per item.

    Attributes
    ----------
    options : tuple of str
        Option labels (columns of the arrays).
    proportion : ndarray of shape (n_items, n_options)
        Share of the persons given the item who chose each option.
    point_biserial : ndarray of shape (n_items, n_options)
        Correlation of choosing the option with the rest score (proportion correct on the other
        items); a good distractor has a negative value, the key a positive one.
    key : tuple of str
    """

    options: tuple[str, ...]
    proportion: np.ndarray
    point_biserial: np.ndarray
    key: tuple[str, ...]


def distractor_analysis(
    choices: Sequence[Sequence[object]] | npt.NDArray[Any],
    key: Sequence[object],
    options: Sequence[object] | None = None,
) -> DistractorAnalysis:
    """Distractor proportions and option point-biserials (Haladyna & Rodriguez 2013).

    Parameters
    ----------
    choices : array_like of shape (n_persons, n_items)
        Chosen option labels (e.g. ``"A"``..``"E"``); ``None``, ``""`` or NaN = not administered.
    key : sequence of length n_items
        Correct option of each item.
    options : sequence, optional
        Option labels in column order; default the sorted labels seen.

    Returns
    -------
    DistractorAnalysis
    """
    raw = np.asarray(choices, dtype=object)
    if raw.ndim != 2:
        raise ValueError("choices must be a 2-D array (n_persons, n_items).")
    blank = np.vectorize(lambda v: v is None or v == "" or (isinstance(v, float) and np.isnan(v)), otypes=[bool])
    missing = blank(raw) if raw.size else np.zeros(raw.shape, dtype=bool)
    labels = np.where(missing, "", raw.astype(str))
    keys = tuple(str(k) for k in key)
    if len(keys) != raw.shape[1]:
        raise ValueError(f"{len(keys)} keys for {raw.shape[1]} items.")
    opts = tuple(str(o) for o in options) if options is not None else tuple(sorted(set(labels[~missing].tolist())))
    correct = np.where(missing, np.nan, (labels == np.array(keys)[None, :]).astype(float))
    admin = ~missing
    score = np.where(admin, correct, 0.0)
    total, count = score.sum(axis=1, keepdims=True), admin.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.where(count - admin > 0, (total - score) / (count - admin), np.nan)
    prop = np.zeros((raw.shape[1], len(opts)))
    rpb = np.full((raw.shape[1], len(opts)), np.nan)
    n = np.maximum(admin.sum(axis=0), 1)
    for o, label in enumerate(opts):
        chose = (labels == label) & admin
        prop[:, o] = chose.sum(axis=0) / n
        rpb[:, o] = _correlation(chose.astype(float), np.nan_to_num(rest), admin & np.isfinite(rest))
    return DistractorAnalysis(opts, readonly(prop), readonly(rpb), keys)


def cronbach_alpha(responses: np.ndarray) -> float:
    """Cronbach's (1951) coefficient alpha over the persons who answered every item.

    ``alpha = k / (k - 1) * (1 - sum(var(item)) / var(total))``; for 0/1 items it equals KR-20.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items); rows with NaN are ignored

    Returns
    -------
    float
    """
    x = _as_float(responses)
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError("Alpha needs at least two items and two persons with complete responses.")
    k = x.shape[1]
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        raise ValueError("Alpha is undefined: the total scores have no variance.")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var))


def kr20(responses: np.ndarray) -> float:
    """Kuder-Richardson formula 20 (Kuder & Richardson 1937) for 0/1 items, complete rows.

    ``KR-20 = k / (k - 1) * (1 - sum(p q) / var(total))`` with population variances.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items); 1.0/0.0, rows with NaN are ignored

    Returns
    -------
    float
    """
    x = _as_float(responses)
    x = x[~np.isnan(x).any(axis=1)]
    if not np.isin(x, (0.0, 1.0)).all():
        raise ValueError("KR-20 needs 0/1 responses; use cronbach_alpha for partial credit.")
    if x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError("KR-20 needs at least two items and two persons with complete responses.")
    k = x.shape[1]
    p = x.mean(axis=0)
    total_var = x.sum(axis=1).var()
    if total_var <= 0:
        raise ValueError("KR-20 is undefined: the total scores have no variance.")
    return float(k / (k - 1) * (1 - (p * (1 - p)).sum() / total_var))
